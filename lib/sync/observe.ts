// Reading the kernel state a plan starts from: one dump of virtual servers (plus one per virtual
// server for its real servers: IPVS has no dump of all destinations), one address dump of
// kube-ipvs0, one `ipset save`, one iptables-save per family and table.
import type { IpFamily } from '../net/address.js';
import { isKernelError } from '../kernel/errors.js';
import { KUBE_IPVS0 } from '../kernel/links/types.js';
import type { Table } from '../kernel/iptables/types.js';
import type { ObservedState, ObservedVirtualServer } from '../plan/observed-state.js';
import type { Kernel } from './kernel.js';

const TABLES: readonly Table[] = ['nat', 'filter'];

export async function observe(kernel: Kernel, families: readonly IpFamily[]): Promise<ObservedState> {
  const virtualServers: ObservedVirtualServer[] = [];
  for (const vs of await kernel.ipvs.listVirtualServers()) {
    try {
      virtualServers.push({ vs, realServers: await kernel.ipvs.listRealServers(vs) });
    } catch (e) {
      // deleted by someone else between the two dumps
      if (!isKernelError(e, 'ESRCH')) throw e;
    }
  }
  let link: ObservedState['link'];
  try {
    link = { exists: true, addresses: await kernel.links.listAddresses(KUBE_IPVS0) };
  } catch (e) {
    if (!isKernelError(e, 'ENODEV')) throw e;
    link = { exists: false, addresses: [] };
  }
  const sets = await kernel.ipsets.list();
  const iptables: Array<ObservedState['iptables'][number]> = [];
  for (const family of families) {
    for (const table of TABLES) iptables.push({ family, table, saved: await kernel.iptables.save(family, table) });
  }
  return { virtualServers, link, sets, iptables };
}
