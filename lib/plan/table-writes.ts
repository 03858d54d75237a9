// The iptables writes of a plan: the skeleton's tables made whole, or a table's owned chains and
// jumps removed (cleanup).
import { presentJumps } from '../kernel/iptables/save-text.js';
import { tableWrite, type JumpRule, type TableRules, type TableWrite } from '../kernel/iptables/types.js';

/** The write that makes a table hold `rules`: its chains declared and refilled, the jumps missing from `saved` inserted. */
export function skeletonWrite(rules: TableRules, saved: string): TableWrite {
  const present = new Set(presentJumps(rules.jumps, saved));
  return tableWrite(rules.table, { chains: rules.chains, insertJumps: rules.jumps.filter((j) => !present.has(j)), rules: rules.rules });
}

/** The write that removes from a table the `jumps` and `chains` present in `saved`; undefined when none are. */
export function removalWrite(table: TableRules['table'], jumps: readonly JumpRule[], chains: readonly string[], saved: string): TableWrite | undefined {
  const declared = new Set(saved.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]));
  const w = tableWrite(table, { deleteJumps: presentJumps(jumps.filter((j) => j.table === table), saved), deleteChains: chains.filter((c) => declared.has(c)) });
  return w.deleteJumps.length + w.deleteChains.length > 0 ? w : undefined;
}
