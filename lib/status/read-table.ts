// Reading the kernel's IPVS table for a status report: virtual servers with their counters (one
// dump, or one read by key each), and their real servers (in one read when the adapter can).
import { isKernelError } from '../kernel/errors.js';
import { vsKey, type Ipvs, type RealServerStatuses, type VirtualServerKey, type VirtualServerWithStats } from '../kernel/ipvs/types.js';
import { RealServerStatusArray } from '../kernel/ipvs/status-list.js';
import type { KernelTable } from './build.js';

/** The whole table. */
export async function readKernelTable(ipvs: Ipvs): Promise<KernelTable> {
  const [list, all] = await Promise.all([ipvs.listStats(), ipvs.listAllRealServers?.()]);
  return table(ipvs, list, all);
}

/** Only these virtual servers, each read by its key (no dump of the whole table). */
export async function readVirtualServers(ipvs: Ipvs, keys: readonly VirtualServerKey[]): Promise<KernelTable> {
  const got = await Promise.all(keys.map((k) => ipvs.getVirtualServer(k)));
  return table(ipvs, got.flatMap((g) => (g ? [g] : [])), undefined);
}

async function table(ipvs: Ipvs, list: readonly VirtualServerWithStats[], all: ReadonlyMap<string, RealServerStatuses> | undefined): Promise<KernelTable> {
  const read = await Promise.all(list.map(async ({ vs }) => {
    const known = all?.get(vsKey(vs));
    if (known) return { vs, realServers: known };
    try {
      return { vs, realServers: new RealServerStatusArray(await ipvs.listRealServers(vs)) as RealServerStatuses };
    } catch (e) {
      // deleted between the two reads
      if (!isKernelError(e, 'ESRCH')) throw e;
      return undefined;
    }
  }));
  const stats = new Map(list.flatMap(({ vs, stats: s }) => (s ? [[vsKey(vs), s] as const] : [])));
  return { virtualServers: read.flatMap((v) => (v ? [v] : [])), stats };
}
