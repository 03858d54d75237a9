// The skeleton written as a sync writes it, for the iptables suites: per table, iptables-save to
// see which jumps exist, then one write.
import type { IpFamily } from '../../lib/net/address.js';
import type { Iptables, TableRules } from '../../lib/kernel/iptables/types.js';
import { skeletonWrite } from '../../lib/plan/table-writes.js';

export async function writeSkeleton(iptables: Iptables, family: IpFamily, tables: readonly TableRules[]): Promise<void> {
  for (const rules of tables) await iptables.write(family, skeletonWrite(rules, await iptables.save(family, rules.table)));
}
