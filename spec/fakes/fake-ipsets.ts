// In-memory ipsets that run `ipset restore` scripts as the tool does: line by line, stopping at
// the first error (earlier lines stay applied), with the tool's error cases.
import { KernelError } from '../../lib/kernel/errors.js';
import { canonicalIp } from '../../lib/net/address.js';
import { formatIpsetSave } from '../../lib/kernel/ipset/save-format.js';
import { OWNED_PREFIX, type Ipsets, type SetState, type SetType } from '../../lib/kernel/ipset/types.js';

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

  async restore(script: string): Promise<void> {
    this.restores++;
    const lines = script.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        this.apply(line.trim());
      } catch (e) {
        throw new KernelError('IPSET', 'ipset restore', `line ${i + 1} "${line}"`, `Error in line ${i + 1}: ${(e as Error).message}`);
      }
    });
  }

  save(): string {
    return formatIpsetSave(this.sets.values());
  }

  private apply(line: string): void {
    const words = line.split(/\s+/);
    const exist = words.includes('-exist');
    const [verb, name, arg] = words.filter((w) => w !== '-exist');
    if (!name) throw new Error('Missing set name');
    const set = this.sets.get(name);
    const need = () => { if (!set) throw new Error('The set with the given name does not exist'); return set; };
    switch (verb) {
      case 'create': {
        const type = arg as SetType;
        if (!TYPES.includes(type)) throw new Error(`Syntax error: unknown settype ${arg}`);
        const fam = type !== 'bitmap:port' && words[words.indexOf('family') + 1] === 'inet6' ? 6 : 4;
        if (set) {
          if (exist && set.type === type && set.family === fam) return;
          throw new Error('Set cannot be created: set with the same name already exists');
        }
        if (name.length > 31) throw new Error('Syntax error: setname is longer than 31 characters');
        this.sets.set(name, { name, type, family: fam, members: new Set() });
        return;
      }
      case 'add': case 'del': {
        const s = need();
        const member = canonicalMember(s, arg ?? '');
        if (verb === 'add') {
          if (s.members.has(member) && !exist) throw new Error("Element cannot be added to the set: it's already added");
          s.members.add(member);
        } else if (!s.members.delete(member) && !exist) {
          throw new Error("Element cannot be deleted from the set: it's not added");
        }
        return;
      }
      case 'flush': need().members.clear(); return;
      case 'destroy':
        need();
        if (this.referenced.has(name)) throw new Error('Set cannot be destroyed: it is in use by a kernel component');
        this.sets.delete(name);
        return;
      case 'swap': {
        const a = need();
        const b = this.sets.get(arg ?? '');
        if (!b) throw new Error('The set with the given name does not exist');
        if (a.type !== b.type || a.family !== b.family) throw new Error('The sets cannot be swapped: their type does not match');
        this.sets.set(a.name, { ...b, name: a.name });
        this.sets.set(b.name, { ...a, name: b.name });
        return;
      }
      default:
        throw new Error(`Syntax error: unknown command ${verb}`);
    }
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
