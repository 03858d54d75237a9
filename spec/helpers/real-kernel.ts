// The real kernel adapters (VM only), and a reset of everything a sync creates in the VM's root
// network namespace, so VM tests that sync start from and leave a clean kernel.
import { openKernel, type OpenKernel } from '../../lib/sync/open-kernel.js';
import { exec } from './exec.js';

/** The proxy's own adapters: IPVS, links and ipset reads over netlink, the netfilter tools. */
export const openRealKernel = (): Promise<OpenKernel> => openKernel();

/** Remove every virtual server, KUBE chain and set, and kube-ipvs0 (the VM has nothing else). */
export async function resetKernel(): Promise<void> {
  await exec('ipvsadm', ['-C']);
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['nat', 'filter']) {
      const saved = (await exec(`${tool}-save`, ['-t', table])).stdout;
      // a restore without --noflush replaces the table: keep everything but the KUBE- lines
      await exec(`${tool}-restore`, [], { input: saved.split('\n').filter((l) => !l.includes('KUBE-')).join('\n') });
    }
  }
  await exec('ipset', ['destroy']);
  await exec('ip', ['link', 'del', 'kube-ipvs0']);
}
