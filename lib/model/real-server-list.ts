// The real servers of a desired virtual server, packed into one string. Every real server the
// model wants has weight 1, masquerading and no thresholds, so only its address and port vary:
// the list keeps their ipvsadm spelling ("10.244.1.5:8080", "[fd00::5]:8080"), sorted and
// comma-separated. At 30,000 Services that is hundreds of thousands of real servers; as objects
// (with their address strings and an array per list) they held ~40 MB of heap, packed ~6 MB.
// Objects are made only while a sync looks at a list.
import { rsKey, type RealServer, type RealServerKey } from '../kernel/ipvs/types.js';

export class RealServerList implements Iterable<RealServer> {
  private constructor(
    /** rsKeys in address, then port order, joined by ',' ('' when empty) */
    private readonly packed: string,
    readonly length: number,
  ) {}

  static readonly EMPTY = new RealServerList('', 0);

  /** The list of these endpoints (in any order; duplicates are the caller's to avoid). */
  static of(endpoints: readonly RealServerKey[]): RealServerList {
    if (endpoints.length === 0) return RealServerList.EMPTY;
    const sorted = [...endpoints].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
    // join makes one flat string (concatenation would make a tree of pieces)
    return new RealServerList(sorted.map(rsKey).join(','), sorted.length);
  }

  /** The rsKeys, in order. */
  keys(): string[] {
    return this.length === 0 ? [] : this.packed.split(',');
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
