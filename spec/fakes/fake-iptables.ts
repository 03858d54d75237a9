// In-memory iptables: carries out a table write all-or-nothing, as iptables-restore --noflush
// does with its input, with the tool's rules about chains (declaring a chain flushes it; a rule
// needs its chain and its target to exist; a referenced chain cannot be deleted) and its line
// numbers in errors, and prints tables as iptables-save does (without counters).
import { KernelError } from '../../lib/kernel/errors.js';
import type { IpFamily } from '../../lib/net/address.js';
import { jumpRuleText } from '../../lib/kernel/iptables/save-text.js';
import type { Iptables, Table, TableWrite } from '../../lib/kernel/iptables/types.js';

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

  async write(family: IpFamily, w: TableWrite): Promise<void> {
    this.restores++;
    const { table } = w;
    const next: Chains = new Map([...this.chains(family, table)].map(([k, v]) => [k, [...v]]));
    // line 1 is "*table"; each part's lines follow in the order restoreText writes them
    let n = 1;
    const fail = (why: string) => new KernelError('IPTABLES', 'iptables-restore --noflush', `table ${table}`, `line ${n} failed: ${why}`);
    const chainOf = (chain: string) => { const rules = next.get(chain); if (!rules) throw fail(`chain ${chain} does not exist`); return rules; };
    const targetExists = (rule: string) => {
      const target = /-j (\S+)/.exec(rule)?.[1];
      if (target && !TARGETS.has(target) && !next.has(target)) throw fail(`target ${target} does not exist`);
    };
    for (const c of w.chains) { n++; next.set(c, []); }
    for (const j of w.insertJumps) {
      n++;
      const rest = jumpRuleText(j).replace(/^-A \S+ /, '');
      targetExists(rest);
      chainOf(j.from).unshift(rest);
    }
    for (const r of w.rules) {
      n++;
      const m = /^-A (\S+) (.*)$/.exec(r);
      if (!m) throw fail('unknown command');
      const rules = chainOf(m[1]!);
      targetExists(m[2]!);
      rules.push(m[2]!);
    }
    for (const j of w.deleteJumps) {
      n++;
      const rules = chainOf(j.from);
      const at = rules.indexOf(jumpRuleText(j).replace(/^-A \S+ /, ''));
      if (at < 0) throw fail('rule does not exist');
      rules.splice(at, 1);
    }
    for (const c of w.deleteChains) { n++; chainOf(c).length = 0; }
    for (const c of w.deleteChains) {
      n++;
      chainOf(c);
      if (BUILTIN[table].includes(c)) throw fail('cannot delete a built-in chain');
      for (const [, rs] of next) if (rs.some((r) => r.endsWith(`-j ${c}`))) throw fail(`chain ${c} is referenced`);
      next.delete(c);
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
