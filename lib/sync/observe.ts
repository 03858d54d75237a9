// Reading the kernel state a plan starts from: one dump of virtual servers (plus their real
// servers, from /proc/net/ip_vs or one dump each), one address dump of kube-ipvs0, one listing of
// the sets, one iptables-save per family and table. Between full resyncs the sets and tables the
// last sync wrote can be taken as known (each tool run costs a process).
import type { IpFamily } from '../net/address.js';
import { isKernelError } from '../kernel/errors.js';
import { KUBE_IPVS0 } from '../kernel/links/types.js';
import type { Table } from '../kernel/iptables/types.js';
import { tableKey, type ObservedState, type ObservedVirtualServer } from '../plan/observed-state.js';
import type { SetState } from '../kernel/ipset/types.js';
import { vsKey, type VirtualServer } from '../kernel/ipvs/types.js';
import type { Kernel } from './kernel.js';
import { RealServerStatusArray, RealServerStatusList } from '../kernel/ipvs/status-list.js';

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
  /** filled with how long each read took, in ms (they overlap: each is its own wall time) */
  readonly readMs?: Record<string, number>;
}

type Timer = <T>(name: string, read: Promise<T>) => Promise<T>;

export async function observe(kernel: Kernel, families: readonly IpFamily[], opts: ObserveOptions = {}): Promise<ObservedState> {
  // The reads are independent (separate sockets and processes): they run at the same time.
  const tables = families.flatMap((family) => TABLES.filter((table) => !opts.verifiedTables?.has(tableKey(family, table))).map((table) => ({ family, table })));
  const timed: Timer = (name, read) => {
    if (!opts.readMs) return read;
    const start = performance.now();
    return read.finally(() => { opts.readMs![name] = Math.round(performance.now() - start); });
  };
  const [virtualServers, link, sets, iptables] = await Promise.all([
    readVirtualServers(kernel, opts.onlyVirtualServers, timed),
    opts.knownAddresses ? { exists: true, addresses: opts.knownAddresses } : timed('addresses', readLink(kernel)),
    opts.knownSets ?? timed('sets', kernel.ipsets.list()),
    timed('iptables', Promise.all(tables.map(async ({ family, table }) => ({ family, table, saved: await kernel.iptables.save(family, table) })))),
  ]);
  return { virtualServers, link, sets, iptables, verifiedTables: opts.verifiedTables };
}

/** Virtual servers with their real servers: `only` these (those gone are left out), or all. */
export async function readVirtualServers(kernel: Kernel, only: readonly VirtualServer[] | undefined, timed: Timer = (_, read) => read): Promise<ObservedVirtualServer[]> {
  // A full read takes all destinations at once when the adapter can (one read, not one dump
  // each), alongside the dump of virtual servers.
  const [vss, all] = await Promise.all([
    only ?? timed('virtualServers', kernel.ipvs.listVirtualServers()),
    !only && kernel.ipvs.listAllRealServers ? timed('realServers', kernel.ipvs.listAllRealServers()) : undefined,
  ]);
  if (all) return vss.map((vs) => ({ vs, realServers: all.get(vsKey(vs)) ?? RealServerStatusList.EMPTY }));
  const read = await Promise.all(vss.map(async (vs) => {
    try {
      return { vs, realServers: new RealServerStatusArray(await kernel.ipvs.listRealServers(vs)) };
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
