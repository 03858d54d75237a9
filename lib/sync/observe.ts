// Reading the kernel state a plan starts from: one dump of virtual servers (plus one per virtual
// server for its real servers: IPVS has no dump of all destinations), one address dump of
// kube-ipvs0, one `ipset save`, one iptables-save per family and table. Between full resyncs the
// sets and tables the last sync wrote can be taken as known (each tool run costs a process).
import type { IpFamily } from '../net/address.js';
import { isKernelError } from '../kernel/errors.js';
import { KUBE_IPVS0 } from '../kernel/links/types.js';
import type { Table } from '../kernel/iptables/types.js';
import { tableKey, type ObservedState, type ObservedVirtualServer } from '../plan/observed-state.js';
import type { SetState } from '../kernel/ipset/types.js';
import { vsKey, type VirtualServer } from '../kernel/ipvs/types.js';
import type { Kernel } from './kernel.js';

const TABLES: readonly Table[] = ['nat', 'filter'];

export interface ObserveOptions {
  /** the sets as the last sync left them, instead of an `ipset save` */
  readonly knownSets?: ReadonlyMap<string, SetState>;
  /** tables known to hold the desired rules: not read */
  readonly verifiedTables?: ReadonlySet<string>;
  /** only these virtual servers (known to exist) are read, with their real servers: no full dump */
  readonly onlyVirtualServers?: readonly VirtualServer[];
  /** the addresses of kube-ipvs0 as the last sync left them, instead of an address dump */
  readonly knownAddresses?: readonly string[];
}

export async function observe(kernel: Kernel, families: readonly IpFamily[], opts: ObserveOptions = {}): Promise<ObservedState> {
  // The reads are independent (separate sockets and processes): they run at the same time.
  const tables = families.flatMap((family) => TABLES.filter((table) => !opts.verifiedTables?.has(tableKey(family, table))).map((table) => ({ family, table })));
  const [virtualServers, link, sets, iptables] = await Promise.all([
    readVirtualServers(kernel, opts.onlyVirtualServers),
    opts.knownAddresses ? { exists: true, addresses: opts.knownAddresses } : readLink(kernel),
    opts.knownSets ?? kernel.ipsets.list(),
    Promise.all(tables.map(async ({ family, table }) => ({ family, table, saved: await kernel.iptables.save(family, table) }))),
  ]);
  return { virtualServers, link, sets, iptables, verifiedTables: opts.verifiedTables };
}

async function readVirtualServers(kernel: Kernel, only: readonly VirtualServer[] | undefined): Promise<ObservedVirtualServer[]> {
  const vss = only ?? await kernel.ipvs.listVirtualServers();
  // A full read takes all destinations at once when the adapter can (one read, not one dump each).
  const all = !only && kernel.ipvs.listAllRealServers ? await kernel.ipvs.listAllRealServers() : undefined;
  if (all) return vss.map((vs) => ({ vs, realServers: all.get(vsKey(vs)) ?? [] }));
  const read = await Promise.all(vss.map(async (vs) => {
    try {
      return { vs, realServers: await kernel.ipvs.listRealServers(vs) };
    } catch (e) {
      // deleted by someone else between the two dumps
      if (!isKernelError(e, 'ESRCH')) throw e;
      return undefined;
    }
  }));
  return read.flatMap((o) => (o ? [o] : []));
}

async function readLink(kernel: Kernel): Promise<ObservedState['link']> {
  try {
    return { exists: true, addresses: await kernel.links.listAddresses(KUBE_IPVS0) };
  } catch (e) {
    if (!isKernelError(e, 'ENODEV')) throw e;
    return { exists: false, addresses: [] };
  }
}
