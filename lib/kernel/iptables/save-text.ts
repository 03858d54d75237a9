// iptables-save's text: how the proxy writes its chains (iptables-restore --noflush input) and reads
// them back, in the tools' own spelling so that written and saved text compare equal.
import type { JumpRule, TableRules } from './types.js';

// Quoted as iptables-save prints it, so written and saved text are equal.
export const quoteSaveArg = (s: string) => (/[\s"']/.test(s) ? `"${s.replace(/(["'])/g, '\\$1')}"` : s);

export function jumpRuleText(j: JumpRule): string {
  return `-A ${j.from} -m comment --comment ${quoteSaveArg(j.comment)} -j ${j.to}`;
}

/**
 * iptables-restore --noflush input for one table: the owned chains are declared (which flushes
 * them) and refilled; jump rules missing from `saved` (iptables-save of the table) are inserted
 * at the top of their built-in chain.
 */
export function restoreInput(rules: TableRules, saved: string): string {
  const present = new Set(saved.split('\n').map((l) => l.trim()));
  const lines = [`*${rules.table}`, ...rules.chains.map((c) => `:${c} - [0:0]`)];
  for (const j of rules.jumps) {
    if (!present.has(jumpRuleText(j))) lines.push(jumpRuleText(j).replace(/^-A (\S+)/, '-I $1 1'));
  }
  for (const r of rules.rules) lines.push(r);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/** Rules in iptables-save's order: grouped by chain, chains by name, rule order kept within a chain. */
export function inSaveOrder(rules: readonly string[]): string[] {
  const chainOf = (r: string) => r.split(' ')[1] ?? '';
  return [...rules].sort((a, b) => (chainOf(a) < chainOf(b) ? -1 : chainOf(a) > chainOf(b) ? 1 : 0));
}

/** The rules of these chains as they appear in iptables-save text (for comparing plans and tables). */
export function ownedRulesOf(saved: string, owned: readonly string[]): string[] {
  return saved.split('\n').filter((l) => l.startsWith('-A ') && owned.includes(l.split(' ')[1] ?? ''));
}
