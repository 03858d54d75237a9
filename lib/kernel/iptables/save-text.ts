// iptables-save's text: how the proxy writes its chains (iptables-restore --noflush input) and reads
// them back, in the tools' own spelling so that written and saved text compare equal.
import type { JumpRule, TableWrite } from './types.js';

// Quoted as iptables-save prints it, so written and saved text are equal.
export const quoteSaveArg = (s: string) => (/[\s"']/.test(s) ? `"${s.replace(/(["'])/g, '\\$1')}"` : s);

export function jumpRuleText(j: JumpRule): string {
  return `-A ${j.from} -m comment --comment ${quoteSaveArg(j.comment)} -j ${j.to}`;
}

/** iptables-restore --noflush input of a write, in the order of its parts. */
export function restoreText(w: TableWrite): string {
  const lines = [
    `*${w.table}`,
    ...w.chains.map((c) => `:${c} - [0:0]`),
    ...w.insertJumps.map((j) => jumpRuleText(j).replace(/^-A (\S+)/, '-I $1 1')),
    ...w.rules,
    ...w.deleteJumps.map((j) => jumpRuleText(j).replace(/^-A /, '-D ')),
    ...w.deleteChains.map((c) => `-F ${c}`),
    ...w.deleteChains.map((c) => `-X ${c}`),
    'COMMIT',
  ];
  return `${lines.join('\n')}\n`;
}

/** The jump rules present in iptables-save text of their table. */
export function presentJumps(jumps: readonly JumpRule[], saved: string): JumpRule[] {
  const lines = new Set(saved.split('\n').map((l) => l.trim()));
  return jumps.filter((j) => lines.has(jumpRuleText(j)));
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
