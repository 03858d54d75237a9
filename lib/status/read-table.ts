// Reading the kernel's IPVS table for a status report: virtual servers, their real servers (in
// one read when the adapter can) and their counters.
import { isKernelError } from '../kernel/errors.js';
import { vsKey, type Ipvs, type RealServerStatuses, type VirtualServerKey, type VirtualServerStats } from '../kernel/ipvs/types.js';
import { RealServerStatusArray, RealServerStatusList } from '../kernel/ipvs/status-list.js';
import type { KernelTable } from './build.js';

export async function readKernelTable(ipvs: Ipvs): Promise<KernelTable> {
  const [vss, all, stats] = await Promise.all([ipvs.listVirtualServers(), ipvs.listAllRealServers?.(), ipvs.listStats()]);
  const virtualServers = await Promise.all(vss.map(async (vs) => {
    let realServers: RealServerStatuses = all?.get(vsKey(vs)) ?? RealServerStatusList.EMPTY;
    if (!all) {
      try { realServers = new RealServerStatusArray(await ipvs.listRealServers(vs)); } catch (e) { if (!isKernelError(e, 'ESRCH')) throw e; }
    }
    return { vs, realServers };
  }));
  return { virtualServers, stats };
}

/** Only these virtual servers, each read by its key with its real servers (no dump of the whole table). */
export async function readVirtualServers(ipvs: Ipvs, keys: readonly VirtualServerKey[]): Promise<KernelTable> {
  const stats = new Map<string, VirtualServerStats>();
  const read = await Promise.all(keys.map(async (key) => {
    const got = await ipvs.getVirtualServer(key);
    if (!got) return undefined;
    if (got.stats) stats.set(vsKey(got.vs), got.stats);
    try {
      return { vs: got.vs, realServers: new RealServerStatusArray(await ipvs.listRealServers(got.vs)) as RealServerStatuses };
    } catch (e) {
      // deleted between the two reads
      if (!isKernelError(e, 'ESRCH')) throw e;
      return undefined;
    }
  }));
  return { virtualServers: read.flatMap((v) => (v ? [v] : [])), stats };
}
