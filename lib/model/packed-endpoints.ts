// EndpointSlices as a source keeps them between events: an EndpointSlice whose endpoints are three
// strings instead of an object and two strings each. At 30,000 Services that is hundreds of
// thousands of endpoints, ~140 bytes of heap each unpacked, ~6 packed: an IPv4 address as 4
// bytes, a node name as its number in the packer's table (a cloud node's name is ~30 characters,
// and 10,000 endpoints share each), a zone hint likewise. Readers see `endpoints` as Endpoint
// objects, made on demand. Slices with node hints or several zone hints per endpoint stay unpacked.
import type { Endpoint, EndpointSlice, SlicePort } from './endpoint-slice.js';
import { Interner } from './interner.js';

/** per endpoint one character: BASE + 4 * (ready*4 + serving*2 + terminating) + 2 * hasZoneHint + hasNodeName */
const BASE = 48;
const NONE: readonly string[] = Object.freeze([]);
/** name numbers are one UTF-16 unit; past this many names, slices are kept unpacked */
const MAX_NODE_NAMES = 0xffff;

/** Packs the slices of one source; it owns the node-name table and shared strings they refer to. */
export class EndpointPacker {
  private readonly names: string[] = [];
  private readonly numbers = new Map<string, number>();
  private readonly strings = new Interner();
  private readonly portLists = new Map<string, readonly SlicePort[]>();

  /** The slice with its endpoints packed (its ports shared with equal slices); itself when it cannot be. */
  pack(slice: EndpointSlice): EndpointSlice {
    const { endpoints } = slice;
    if (endpoints.length === 0) return slice;
    const codes: number[] = [];
    const nodes: number[] = [];
    const zones: number[] = [];
    for (const e of endpoints) {
      if (e.nodeHints.length > 0 || e.zoneHints.length > 1) return slice;
      let code = BASE + 4 * ((e.ready ? 4 : 0) + (e.serving ? 2 : 0) + (e.terminating ? 1 : 0));
      if (e.zoneHints.length === 1) {
        const z = this.nameNumber(e.zoneHints[0]!);
        if (z === undefined) return slice;
        zones.push(z);
        code += 2;
      }
      if (e.nodeName !== undefined) {
        const n = this.nameNumber(e.nodeName);
        if (n === undefined) return slice;
        nodes.push(n);
        code += 1;
      }
      codes.push(code);
    }
    // Canonical IPv4 addresses give their text back from their bytes; IPv6 ones hold no comma.
    const addresses = slice.family === 4
      ? Buffer.from(endpoints.flatMap((e) => e.address.split('.').map(Number))).toString('latin1')
      : endpoints.map((e) => e.address).join(',');
    return new PackedSlice(slice, this.ports(slice.ports), addresses, this.strings.intern(fromCodes(codes)), this.strings.intern(fromCodes(nodes)), this.strings.intern(fromCodes(zones)), this.names);
  }

  private nameNumber(name: string): number | undefined {
    let n = this.numbers.get(name);
    if (n === undefined) {
      if (this.names.length >= MAX_NODE_NAMES) return undefined;
      n = this.names.push(name) - 1;
      this.numbers.set(name, n);
    }
    return n;
  }

  private ports(ports: readonly SlicePort[]): readonly SlicePort[] {
    const key = JSON.stringify(ports);
    const had = this.portLists.get(key);
    if (had) return had;
    if (this.portLists.size < MAX_NODE_NAMES) this.portLists.set(key, ports);
    return ports;
  }
}

class PackedSlice implements EndpointSlice {
  readonly namespace: string;
  readonly name: string;
  readonly service: string;
  readonly family: EndpointSlice['family'];

  constructor(
    slice: EndpointSlice,
    readonly ports: readonly SlicePort[],
    /** first addresses: 4 characters (bytes) each for IPv4, else their texts comma-separated */
    private readonly addresses: string,
    /** one character per endpoint (see BASE) */
    private readonly codes: string,
    /** per endpoint that has a node name, its number in `names` as one character */
    private readonly nodes: string,
    /** per endpoint that has a zone hint, its number in `names` as one character */
    private readonly zones: string,
    private readonly names: readonly string[],
  ) {
    this.namespace = slice.namespace;
    this.name = slice.name;
    this.service = slice.service;
    this.family = slice.family;
  }

  get endpoints(): readonly Endpoint[] {
    const addresses = this.addressList();
    const out: Endpoint[] = [];
    let n = 0;
    let z = 0;
    for (let i = 0; i < this.codes.length; i++) {
      const code = this.codes.charCodeAt(i) - BASE;
      const c = code >> 2;
      out.push({
        address: addresses[i]!, ready: (c & 4) !== 0, serving: (c & 2) !== 0, terminating: (c & 1) !== 0,
        nodeName: code & 1 ? this.names[this.nodes.charCodeAt(n++)] : undefined,
        zoneHints: code & 2 ? [this.names[this.zones.charCodeAt(z++)]!] : NONE,
        nodeHints: NONE,
      });
    }
    return out;
  }

  /** Serialized, it is the slice it stands for. */
  toJSON(): EndpointSlice {
    const { namespace, name, service, family, endpoints, ports } = this;
    return { namespace, name, service, family, endpoints, ports };
  }

  private addressList(): string[] {
    if (this.family === 6) return this.addresses.split(',');
    const a = this.addresses;
    const out: string[] = [];
    for (let i = 0; i < a.length; i += 4) out.push(`${a.charCodeAt(i)}.${a.charCodeAt(i + 1)}.${a.charCodeAt(i + 2)}.${a.charCodeAt(i + 3)}`);
    return out;
  }
}

/** Character codes as one string (in pieces: an argument list has a limit). */
function fromCodes(codes: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < codes.length; i += 4096) parts.push(String.fromCharCode(...codes.slice(i, i + 4096)));
  return parts.join('');
}
