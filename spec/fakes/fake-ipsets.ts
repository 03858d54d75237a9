// In-memory ipsets that carry out set changes as `ipset restore` does: command by command (a
// member of an add or del is one), stopping at the first error (earlier commands stay applied,
// the members batched with the bad one do not), with the tool's error cases and line numbers.
import { KernelError } from '../../lib/kernel/errors.js';
import { canonicalIp } from '../../lib/net/address.js';
import { formatIpsetSave } from '../../lib/kernel/ipset/save-format.js';
import { restoreLines } from '../../lib/kernel/ipset/restore-text.js';
import { OWNED_PREFIX, type Ipsets, type SetChange, type SetSpec, type SetState, type SetType } from '../../lib/kernel/ipset/types.js';

interface FakeSet { name: string; type: SetType; family: 4 | 6; members: Set<string> }
const TYPES: readonly SetType[] = ['hash:ip', 'hash:ip,port', 'hash:ip,port,ip', 'hash:ip,port,net', 'bitmap:port'];

export class FakeIpsets implements Ipsets {
  private readonly sets = new Map<string, FakeSet>();
  /** Sets an iptables rule refers to: they cannot be destroyed (as in the kernel). */
  readonly referenced = new Set<string>();
  restores = 0;

  async list(): Promise<Map<string, SetState>> {
    const out = new Map<string, SetState>();
    for (const s of this.sets.values()) if (s.name.startsWith(OWNED_PREFIX)) out.set(s.name, { ...s, members: new Set(s.members) });
    return out;
  }

  async apply(changes: readonly SetChange[]): Promise<void> {
    this.restores++;
    // the commands in the tool's order, each with its line of restore input (for errors only)
    const lines = restoreLines(changes);
    let n = 0;
    const step = (what: () => void) => {
      const line = lines.next().value ?? '';
      n++;
      try {
        what();
      } catch (e) {
        throw new KernelError('IPSET', 'ipset restore', `line ${n} "${line}"`, `Error in line ${n}: ${(e as Error).message}`);
      }
    };
    for (const c of changes) {
      switch (c.op) {
        case 'create': step(() => this.create(c.set)); break;
        case 'add': case 'del': {
          // as the tool: a set's consecutive members go in one message, lost whole if one is bad
          const batch: string[] = [];
          for (const m of c.members) step(() => { batch.push(canonicalMember(this.need(c.set), m)); });
          const members = this.need(c.set).members;
          for (const m of batch) { if (c.op === 'add') members.add(m); else members.delete(m); }
          break;
        }
        case 'swap': step(() => this.swap(c.set, c.with)); break;
        case 'destroy': step(() => this.destroy(c.set)); break;
      }
    }
  }

  save(): string {
    return formatIpsetSave(this.sets.values());
  }

  private need(name: string): FakeSet {
    const set = this.sets.get(name);
    if (!set) throw new Error('The set with the given name does not exist');
    return set;
  }

  private create(spec: SetSpec): void {
    if (!TYPES.includes(spec.type)) throw new Error(`Syntax error: unknown settype ${spec.type}`);
    if (this.sets.has(spec.name)) throw new Error('Set cannot be created: set with the same name already exists');
    if (spec.name.length > 31) throw new Error('Syntax error: setname is longer than 31 characters');
    this.sets.set(spec.name, { name: spec.name, type: spec.type, family: spec.type === 'bitmap:port' ? 4 : spec.family, members: new Set() });
  }

  private destroy(name: string): void {
    this.need(name);
    if (this.referenced.has(name)) throw new Error('Set cannot be destroyed: it is in use by a kernel component');
    this.sets.delete(name);
  }

  private swap(name: string, other: string): void {
    const a = this.need(name);
    const b = this.need(other);
    if (a.type !== b.type || a.family !== b.family) throw new Error('The sets cannot be swapped: their type does not match');
    this.sets.set(a.name, { ...b, name: a.name });
    this.sets.set(b.name, { ...a, name: b.name });
  }
}

/** Check an entry against the set type and print it as ipset does (canonical IPs, no /32). */
function canonicalMember(s: FakeSet, entry: string): string {
  const bad = () => new Error(`Syntax error: '${entry}' is not a valid ${s.type} element`);
  const ip = (t: string | undefined) => {
    const c = t === undefined ? undefined : canonicalIp(t);
    if (!c || (c.includes(':') ? 6 : 4) !== s.family) throw bad();
    return c;
  };
  const protoPort = (t: string | undefined) => {
    const m = /^(tcp|udp|sctp):(\d+)$/.exec(t ?? '');
    if (!m || Number(m[2]) > 65535) throw bad();
    return `${m[1]}:${Number(m[2])}`;
  };
  const parts = entry.split(',');
  switch (s.type) {
    case 'bitmap:port': {
      if (!/^\d+$/.test(entry) || Number(entry) > 65535) throw bad();
      return String(Number(entry));
    }
    case 'hash:ip': if (parts.length !== 1) throw bad(); return ip(parts[0]);
    case 'hash:ip,port': if (parts.length !== 2) throw bad(); return `${ip(parts[0])},${protoPort(parts[1])}`;
    case 'hash:ip,port,ip': if (parts.length !== 3) throw bad(); return `${ip(parts[0])},${protoPort(parts[1])},${ip(parts[2])}`;
    case 'hash:ip,port,net': {
      if (parts.length !== 3) throw bad();
      const [addr, prefix] = (parts[2] ?? '').split('/');
      const net = ip(addr);
      const max = s.family === 4 ? 32 : 128;
      const len = prefix === undefined ? max : Number(prefix);
      if (!Number.isInteger(len) || len < 1 || len > max) throw bad();
      return `${ip(parts[0])},${protoPort(parts[1])},${len === max ? net : `${net}/${len}`}`;
    }
  }
}
