// The real servers of one virtual server as a full read of the kernel's table finds them, packed
// into one string until a sync looks at them: a full resync reads every real server of the node at
// once, and as objects they would take several times the memory. Each entry is "rsKey forward
// weight active inactive" ('m' masq, 'l' local, 't' tunnel, 'r' route, 'b' bypass), entries are
// separated by ','.
import { rsKey, type ForwardMethod, type RealServerStatus, type RealServerStatuses } from './types.js';

const FORWARD_CODES: Readonly<Record<ForwardMethod, string>> = { masq: 'm', local: 'l', tunnel: 't', route: 'r', bypass: 'b' };
const FORWARD_OF: Readonly<Record<string, ForwardMethod>> = { m: 'masq', l: 'local', t: 'tunnel', r: 'route', b: 'bypass' };

/** A real server's status, as the kernel reports it, by the parts /proc/net/ip_vs gives. */
export function statusEntry(address: string, port: number, forward: ForwardMethod, weight: number, active: number, inactive: number): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${port} ${FORWARD_CODES[forward]} ${weight} ${active} ${inactive}`;
}

export class RealServerStatusList implements RealServerStatuses {
  private constructor(private readonly packed: string, readonly length: number) {}

  static readonly EMPTY = new RealServerStatusList('', 0);

  /** From entries made by statusEntry. */
  static of(entries: readonly string[]): RealServerStatusList {
    // join makes one flat string
    return entries.length === 0 ? RealServerStatusList.EMPTY : new RealServerStatusList(entries.join(','), entries.length);
  }

  [Symbol.iterator](): Iterator<RealServerStatus> {
    return this.toJSON()[Symbol.iterator]();
  }

  map<T>(f: (rs: RealServerStatus) => T): T[] {
    return this.toJSON().map((r) => f(r));
  }

  /**
   * The rsKeys when every real server is masqueraded at weight 1 (as the model wants them all),
   * else undefined: a resync compares these with the desired keys without making objects.
   */
  plainKeys(): string[] | undefined {
    if (this.length === 0) return [];
    const keys: string[] = [];
    for (const e of this.packed.split(',')) {
      const space = e.indexOf(' ');
      if (!e.startsWith(' m 1 ', space)) return undefined;
      keys.push(e.slice(0, space));
    }
    return keys;
  }

  /** The real servers as objects. */
  toJSON(): RealServerStatus[] {
    return this.length === 0 ? [] : this.packed.split(',').map(status);
  }
}

/** Real servers read as objects (one virtual server's dump, with thresholds). */
export class RealServerStatusArray implements RealServerStatuses {
  constructor(private readonly list: readonly RealServerStatus[]) {}

  get length(): number { return this.list.length; }

  [Symbol.iterator](): Iterator<RealServerStatus> { return this.list[Symbol.iterator](); }

  plainKeys(): string[] | undefined {
    const plain = this.list.every((r) => r.weight === 1 && r.forward === 'masq' && r.upperThreshold === 0 && r.lowerThreshold === 0);
    return plain ? this.list.map(rsKey) : undefined;
  }
}

function status(entry: string): RealServerStatus {
  const [key, fwd, weight, active, inactive] = entry.split(' ') as [string, string, string, string, string];
  const colon = key.lastIndexOf(':');
  const address = key[0] === '[' ? key.slice(1, colon - 1) : key.slice(0, colon);
  return {
    address, port: Number(key.slice(colon + 1)), forward: FORWARD_OF[fwd] ?? 'masq', weight: Number(weight), upperThreshold: 0, lowerThreshold: 0,
    activeConnections: Number(active), inactiveConnections: Number(inactive), persistentConnections: 0,
  };
}
