// Reading the kernel's IPVS table for a status report: virtual servers, their real servers (in
// one read when the adapter can) and their counters.
import { isKernelError } from '../kernel/errors.js';
import { vsKey, type Ipvs, type RealServerStatuses } from '../kernel/ipvs/types.js';
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
