// The real servers of a desired virtual server, packed into one string. Every real server the
// model wants has weight 1, masquerading and no thresholds, so only its address and port vary:
// the list keeps them as bytes in a one-byte string (per real server the family, 4 or 16 address
// bytes, the port), sorted by address text, then port: a fraction of the memory of objects or
// text, for hundreds of thousands of real servers at scale. Objects and text are made only while
// a sync looks at a list. Addresses must be canonical (as the model's are): they come back so.
import ipaddr from 'ipaddr.js';
import { hostPort, ipFromBytes } from '../net/address.js';
import type { RealServer, RealServerKey } from '../kernel/ipvs/types.js';

const V4 = 4;
const V6 = 6;

export class RealServerList implements Iterable<RealServer> {
  private constructor(
    /** per real server: V4 or V6, the address bytes, the port (2 bytes, big-endian); '' when empty */
    private readonly packed: string,
    readonly length: number,
  ) {}

  static readonly EMPTY = new RealServerList('', 0);

  /** The list of these endpoints (in any order; duplicates are the caller's to avoid). */
  static of(endpoints: readonly RealServerKey[]): RealServerList {
    if (endpoints.length === 0) return RealServerList.EMPTY;
    const sorted = [...endpoints].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
    const buf = Buffer.allocUnsafe(sorted.reduce((n, e) => n + (e.address.includes(':') ? 19 : 7), 0));
    let o = 0;
    for (const e of sorted) {
      if (e.address.includes(':')) {
        buf[o++] = V6;
        buf.set(ipaddr.IPv6.parse(e.address).toByteArray(), o);
        o += 16;
      } else {
        buf[o++] = V4;
        for (const part of e.address.split('.')) buf[o++] = Number(part);
      }
      o = buf.writeUInt16BE(e.port, o);
    }
    // latin1: one character per byte, one flat one-byte string
    return new RealServerList(buf.toString('latin1'), sorted.length);
  }

  /** The rsKeys ("10.244.1.5:8080", "[fd00::5]:8080"), in order. */
  keys(): string[] {
    const p = this.packed;
    const c = (i: number) => p.charCodeAt(i);
    const out: string[] = [];
    for (let i = 0; i < p.length;) {
      if (c(i) === V4) {
        out.push(`${c(i + 1)}.${c(i + 2)}.${c(i + 3)}.${c(i + 4)}:${(c(i + 5) << 8) | c(i + 6)}`);
        i += 7;
      } else {
        out.push(hostPort(ipFromBytes(Buffer.from(p.slice(i + 1, i + 17), 'latin1'), 6), (c(i + 17) << 8) | c(i + 18)));
        i += 19;
      }
    }
    return out;
  }

  [Symbol.iterator](): Iterator<RealServer> {
    return this.map((r) => r)[Symbol.iterator]();
  }

  map<T>(f: (rs: RealServer) => T): T[] {
    return this.keys().map((k) => f(realServer(k)));
  }

  /** As JSON, the real servers themselves. */
  toJSON(): RealServer[] {
    return this.map((r) => r);
  }
}

/** The desired real server of an rsKey ("a.b.c.d:port" or "[v6]:port"). */
function realServer(key: string): RealServer {
  const colon = key.lastIndexOf(':');
  const address = key[0] === '[' ? key.slice(1, colon - 1) : key.slice(0, colon);
  return { address, port: Number(key.slice(colon + 1)), weight: 1, forward: 'masq', upperThreshold: 0, lowerThreshold: 0 };
}
