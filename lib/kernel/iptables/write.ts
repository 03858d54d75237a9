// Writing the skeleton: per table, one iptables-save (to see which jump rules exist) and one
// iptables-restore --noflush with the owned chains and the missing jumps.
import type { IpFamily } from '../../net/address.js';
import { restoreInput } from './save-text.js';
import type { Iptables, TableRules } from './types.js';

export async function writeSkeleton(iptables: Iptables, family: IpFamily, tables: readonly TableRules[]): Promise<void> {
  for (const rules of tables) {
    const saved = await iptables.save(family, rules.table);
    await iptables.restore(family, rules.table, restoreInput(rules, saved));
  }
}
