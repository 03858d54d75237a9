// The real kernel adapters, opened together (IPVS over generic netlink, links over rtnetlink,
// ipset, iptables on the backend the node already uses).
import { NetlinkIpvs } from '../kernel/ipvs/netlink-ipvs.js';
import { RtnetlinkLinks } from '../kernel/links/rtnetlink-links.js';
import { IpsetCli } from '../kernel/ipset/ipset-cli.js';
import { IpsetNetlinkReader } from '../kernel/ipset/netlink-list.js';
import { runTool } from '../kernel/tool.js';
import { IptablesCli } from '../kernel/iptables/iptables-cli.js';
import { ConntrackCli } from '../kernel/conntrack/conntrack.js';
import type { Kernel } from './kernel.js';
import type { Logger } from '../log.js';

export interface OpenKernel extends Kernel {
  readonly ipvs: NetlinkIpvs;
  readonly iptables: IptablesCli;
  close(): void;
}

/** Throws with a clear message when IPVS is not available. */
export async function openKernel(): Promise<OpenKernel> {
  let ipvs: NetlinkIpvs;
  try {
    ipvs = await NetlinkIpvs.open();
  } catch {
    // A node that just booted may not have loaded ip_vs yet (kube-proxy loads it too); the
    // schedulers' modules the kernel loads itself when a virtual server names them.
    const r = await runTool('modprobe', ['ip_vs']);
    const loaded = r.code === 0 ? '' : `; modprobe ip_vs: ${r.stderr.trim() || `exit ${r.code}`}`;
    try {
      ipvs = await NetlinkIpvs.open();
    } catch (e) {
      throw new Error(`IPVS is not available (is the ip_vs module loadable on this node, /lib/modules mounted?): ${(e as Error).message}${loaded}`);
    }
  }
  const links = new RtnetlinkLinks();
  const setReader = IpsetNetlinkReader.open();
  const close = () => { ipvs.close(); links.close(); setReader.close(); };
  try {
    const iptables = await IptablesCli.detect();
    return { ipvs, links, ipsets: new IpsetCli(runTool, setReader), iptables, conntrack: new ConntrackCli(), close };
  } catch (e) {
    close();
    throw e;
  }
}

/** openKernel for a command: on failure the reason is logged as fatal and undefined returned. */
export async function openKernelOrLog(log: Logger): Promise<OpenKernel | undefined> {
  try {
    return await openKernel();
  } catch (e) {
    log.fatal({ err: (e as Error).message }, 'cannot open the kernel interfaces');
    return undefined;
  }
}
