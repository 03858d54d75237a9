// In-memory iptables: applies iptables-restore --noflush input all-or-nothing, with the tool's
// rules about chains (declaring a chain flushes it; a rule needs its chain and its target to
// exist), and prints tables as iptables-save does (without counters).
import { KernelError } from '../../lib/kernel/errors.js';
import type { IpFamily } from '../../lib/net/address.js';
import type { Iptables, Table } from '../../lib/kernel/iptables/types.js';

const BUILTIN: Readonly<Record<Table, readonly string[]>> = {
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};
const TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'MASQUERADE', 'MARK', 'SNAT', 'DNAT', 'LOG']);

type Chains = Map<string, string[]>;

export class FakeIptables implements Iptables {
  private readonly tables = new Map<string, Chains>();
  restores = 0;

  async save(family: IpFamily, table: Table): Promise<string> {
    const chains = this.chains(family, table);
    // Built-in chains first, then the others by name, as iptables-save prints them.
    const names = [...BUILTIN[table], ...[...chains.keys()].filter((c) => !BUILTIN[table].includes(c)).sort()];
    const lines = [`*${table}`];
    for (const name of names) lines.push(BUILTIN[table].includes(name) ? `:${name} ACCEPT [0:0]` : `:${name} - [0:0]`);
    for (const name of names) for (const r of chains.get(name)!) lines.push(`-A ${name} ${r}`);
    lines.push('COMMIT');
    return `${lines.join('\n')}\n`;
  }

  async restore(family: IpFamily, table: Table, input: string): Promise<void> {
    this.restores++;
    const next: Chains = new Map([...this.chains(family, table)].map(([k, v]) => [k, [...v]]));
    const fail = (n: number, why: string) => new KernelError('IPTABLES', 'iptables-restore --noflush', `table ${table}`, `line ${n} failed: ${why}`);
    const pending: Array<{ n: number; line: string }> = [];
    input.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      const n = i + 1;
      if (line === '' || line.startsWith('#') || line === 'COMMIT') return;
      if (line.startsWith('*')) { if (line.slice(1) !== table) throw fail(n, `table ${line.slice(1)} given to a ${table} restore`); return; }
      if (line.startsWith(':')) {
        const name = line.slice(1).split(' ')[0]!;
        next.set(name, []); // declaring a chain creates or flushes it
        return;
      }
      pending.push({ n, line });
    });
    for (const { n, line } of pending) {
      const m = /^-(A|I|D|X|F) (\S+)(?: (\d+))?(?: (.*))?$/.exec(line);
      if (!m) throw fail(n, 'unknown command');
      const [, op, chain, pos, rest = ''] = m;
      const rules = next.get(chain!);
      if (!rules) throw fail(n, `chain ${chain} does not exist`);
      const target = /-j (\S+)/.exec(rest)?.[1];
      if ((op === 'A' || op === 'I') && target && !TARGETS.has(target) && !next.has(target)) throw fail(n, `target ${target} does not exist`);
      if (op === 'A') rules.push(rest);
      else if (op === 'I') rules.splice(Math.max(0, Number(pos ?? 1) - 1), 0, rest);
      else if (op === 'D') { const at = rules.indexOf(rest); if (at < 0) throw fail(n, 'rule does not exist'); rules.splice(at, 1); }
      else if (op === 'F') rules.length = 0;
      else if (op === 'X') {
        if (BUILTIN[table].includes(chain!)) throw fail(n, 'cannot delete a built-in chain');
        for (const [, rs] of next) if (rs.some((r) => r.endsWith(`-j ${chain}`))) throw fail(n, `chain ${chain} is referenced`);
        next.delete(chain!);
      }
    }
    this.tables.set(`${family}/${table}`, next);
  }

  /** Test hook: what an admin or another program does by hand. */
  tamper(family: IpFamily, table: Table, chain: string, rules: string[]): void {
    this.chains(family, table).set(chain, rules);
  }

  private chains(family: IpFamily, table: Table): Chains {
    const key = `${family}/${table}`;
    let t = this.tables.get(key);
    if (!t) { t = new Map(BUILTIN[table].map((c) => [c, []])); this.tables.set(key, t); }
    return t;
  }
}
