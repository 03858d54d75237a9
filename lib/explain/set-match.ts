// Whether a packet matches `-m set --match-set NAME dirs`, as the kernel's ipset match decides: each
// dimension of the set's type takes the packet's source or destination (address or port) as the
// rule's direction flags say. Members are ipset's canonical text ("10.96.0.10,tcp:80").
import { cidrContains } from '../net/address.js';
import type { SetState } from '../kernel/ipset/types.js';
import type { Protocol } from '../kernel/ipvs/types.js';

/** The packet's fields a set match reads. */
export interface SetPacket {
  readonly protocol: Protocol;
  readonly source: string;
  readonly destination: string;
  /** undefined: not known (a client's ephemeral port), so no member matches on it */
  readonly sourcePort: number | undefined;
  readonly destinationPort: number;
}

/** The member that matches, or undefined. */
export function setMatch(set: SetState, dirs: readonly string[], p: SetPacket): string | undefined {
  const address = (i: number) => (dirs[i] === 'src' ? p.source : p.destination);
  const port = (i: number) => (dirs[i] === 'src' ? p.sourcePort : p.destinationPort);
  const has = (m: string | undefined) => (m !== undefined && set.members.has(m) ? m : undefined);
  const protoPort = (i: number) => { const n = port(i); return n === undefined ? undefined : `${p.protocol}:${n}`; };
  switch (set.type) {
    case 'hash:ip': return has(address(0));
    case 'bitmap:port': { const n = port(0); return n === undefined ? undefined : has(String(n)); }
    case 'hash:ip,port': { const pp = protoPort(1); return pp && has(`${address(0)},${pp}`); }
    case 'hash:ip,port,ip': { const pp = protoPort(1); return pp && has(`${address(0)},${pp},${address(2)}`); }
    case 'hash:ip,port,net': {
      const pp = protoPort(1);
      if (!pp) return undefined;
      const prefix = `${address(0)},${pp},`;
      for (const m of set.members) {
        if (!m.startsWith(prefix)) continue;
        const net = m.slice(prefix.length);
        // ipset prints a host-sized net without its prefix length
        if (net.includes('/') ? cidrContains(net, address(2)) : net === address(2)) return m;
      }
      return undefined;
    }
  }
}
