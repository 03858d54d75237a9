// The endpoints of one EndpointSlice as the proxy keeps them between events: three strings for the
// whole slice instead of an object, an array and a string per endpoint. At 30,000 Services that is
// hundreds of thousands of endpoints, and each took ~140 bytes of heap unpacked, ~20 packed.
// Only what the model reads is kept (the first address, ready/serving/terminating, the node name),
// and only endpoints of the usual shape are packed (see pack); parseEndpointSlice unpacks them and
// validates them like any others, so a packed slice parses exactly as the slice it came from.

type Tri = boolean | undefined;

/** The endpoint fields the model reads, as JSON (what unpack gives back for each endpoint). */
export interface RawEndpoint {
  readonly addresses: readonly [string];
  readonly conditions: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
  readonly nodeName?: string;
}

const CONDITIONS = ['ready', 'serving', 'terminating'] as const;
/** per endpoint one character: 48 + ready*18 + serving*6 + terminating*2 + hasNodeName, each condition 0 unset, 1 false, 2 true */
const BASE = 48;
const tri = (v: Tri) => (v === undefined ? 0 : v ? 2 : 1);
const untri = (n: number): Tri => (n === 0 ? undefined : n === 2);

// The 27 condition combinations as shared frozen objects (unpack makes no new ones).
const SHARED: ReadonlyArray<RawEndpoint['conditions']> = Array.from({ length: 27 }, (_, i) => {
  const c: Record<string, boolean> = {};
  const values = [untri(Math.floor(i / 9)), untri(Math.floor(i / 3) % 3), untri(i % 3)];
  CONDITIONS.forEach((k, j) => { if (values[j] !== undefined) c[k] = values[j]!; });
  return Object.freeze(c);
});

export class PackedEndpoints {
  private constructor(
    /** first addresses, comma-separated */
    private readonly addresses: string,
    /** one character per endpoint (see BASE) */
    private readonly codes: string,
    /** the node names of the endpoints that have one, comma-separated */
    private readonly nodeNames: string,
  ) {}

  /**
   * Packs endpoints whose fields the model reads all have the usual types: a first address that is a
   * string, conditions with only ready/serving/terminating as booleans, a node name that is a
   * string (null counts as absent, as the model reads it). Other fields are dropped, as the model
   * does not read them. Undefined when any endpoint is unusual (or there are none): the caller
   * keeps them unpacked, for the model to report exactly.
   */
  static pack(endpoints: readonly unknown[]): PackedEndpoints | undefined {
    if (endpoints.length === 0) return undefined;
    const addresses: string[] = [];
    const nodes: string[] = [];
    const codes: number[] = [];
    for (const e of endpoints) {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return undefined;
      const { addresses: addrs, conditions: c, nodeName } = e as Record<string, unknown>;
      if (!Array.isArray(addrs) || typeof addrs[0] !== 'string' || addrs[0].includes(',')) return undefined;
      let code = BASE;
      if (c !== undefined && c !== null) {
        if (typeof c !== 'object' || Array.isArray(c)) return undefined;
        for (const [k, v] of Object.entries(c)) if (!(CONDITIONS as readonly string[]).includes(k) || (v !== undefined && v !== null && typeof v !== 'boolean')) return undefined;
        const r = c as Record<string, boolean | null | undefined>;
        code += tri(r.ready ?? undefined) * 18 + tri(r.serving ?? undefined) * 6 + tri(r.terminating ?? undefined) * 2;
      }
      if (nodeName !== undefined && nodeName !== null) {
        if (typeof nodeName !== 'string' || nodeName.includes(',')) return undefined;
        nodes.push(nodeName);
        code += 1;
      }
      addresses.push(addrs[0]);
      codes.push(code);
    }
    return new PackedEndpoints(addresses.join(','), String.fromCharCode(...codes), nodes.join(','));
  }

  get length(): number { return this.codes.length; }

  /** The endpoints as JSON-shaped objects, in their order. */
  unpack(): RawEndpoint[] {
    const addresses = this.addresses.split(',');
    const nodes = this.nodeNames.split(','); // read only where an endpoint has a name: '' may be one
    const out: RawEndpoint[] = [];
    let n = 0;
    for (let i = 0; i < this.codes.length; i++) {
      const code = this.codes.charCodeAt(i) - BASE;
      // code = 2 * (ready*9 + serving*3 + terminating) + hasNodeName: the half indexes SHARED
      const conditions = SHARED[code >> 1]!;
      out.push(code & 1 ? { addresses: [addresses[i]!], conditions, nodeName: nodes[n++]! } : { addresses: [addresses[i]!], conditions });
    }
    return out;
  }

  /** Serialized, it is the endpoints list it stands for. */
  toJSON(): RawEndpoint[] { return this.unpack(); }
}
