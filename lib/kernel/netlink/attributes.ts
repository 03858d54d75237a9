// Netlink attributes (struct nlattr TLVs), encoded and decoded by hand: the netlink package has
// no IPVS or ipset typings, and its AttrStream drops the NESTED/NET_BYTEORDER flags ipset needs.
export const NLA_F_NESTED = 1 << 15;
export const NLA_F_NET_BYTEORDER = 1 << 14;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

const align4 = (n: number) => (n + 3) & ~3;

export function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

export const u8 = (type: number, v: number) => attr(type, Buffer.from([v & 0xff]));
export function u16(type: number, v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16LE(v); return attr(type, b); }
export function u32(type: number, v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return attr(type, b); }
export function be16(type: number, v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(v); return attr(type, b); }
export function be32(type: number, v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return attr(type, b); }
export const str = (type: number, s: string) => attr(type, Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]));
export const nested = (type: number, children: readonly Buffer[]) => attr(type | NLA_F_NESTED, Buffer.concat(children));

/** Attributes of a buffer by type (flags stripped); the last one wins for repeated types. */
export function parseAttributes(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (const [type, payload] of iterateAttributes(buf)) out.set(type, payload);
  return out;
}

export function* iterateAttributes(buf: Buffer): Generator<[number, Buffer]> {
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    yield [buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len)];
    off += align4(len);
  }
}

export const readString = (b: Buffer) => { const z = b.indexOf(0); return b.toString('utf8', 0, z < 0 ? b.length : z); };
