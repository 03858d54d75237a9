// Kernel parameters IPVS mode depends on (reference section 1.5), set only when they differ,
// each change logged.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KernelError, errnoName, isKernelError } from '../errors.js';
import type { Logger } from '../../log.js';

export interface Sysctls {
  read(path: string): Promise<string>;
  write(path: string, value: string): Promise<void>;
}

export interface DesiredSysctl {
  readonly path: string;
  readonly value: string;
  readonly why: string;
  /** only ever raise the current value (a larger one set by the admin stays) */
  readonly onlyRaise?: boolean;
  /** a kernel without the parameter is told in a warning, not an error */
  readonly ifPresent?: boolean;
}

/** --ipvs-run-estimation: IPVS rate estimation on, off, or as the node has it. */
export const RUN_ESTIMATION = 'net/ipv4/vs/run_estimation';
export type RunEstimation = 'keep' | 'on' | 'off';

export interface SysctlOptions {
  readonly strictArp: boolean;
  /** os.release(), e.g. "6.1.0-56-amd64" */
  readonly kernelRelease: string;
  /** kube-proxy's conntrack settings; 0 leaves a value as it is */
  readonly conntrack?: { readonly max: number; readonly tcpEstablishedSeconds: number; readonly tcpCloseWaitSeconds: number };
  readonly runEstimation?: RunEstimation;
}

export function desiredSysctls(o: SysctlOptions): DesiredSysctl[] {
  const out: DesiredSysctl[] = [
    { path: 'net/ipv4/vs/conntrack', value: '1', why: 'MASQUERADE needs conntrack entries for IPVS connections' },
    { path: 'net/ipv4/vs/expire_nodest_conn', value: '1', why: 'drop connections to deleted real servers on their next packet' },
    { path: 'net/ipv4/vs/expire_quiescent_template', value: '1', why: 'persistence must not stick to a weight-0 real server (#71809)' },
    { path: 'net/ipv4/ip_forward', value: '1', why: 'traffic to pods on other nodes is forwarded' },
  ];
  const [major = 0, minor = 0] = o.kernelRelease.split(/[.-]/).map(Number);
  const v = major * 1000 + minor;
  // 4.1-5.8 drop a SYN on a reused port for a second (#70747); 5.9 fixed it (#93297).
  if (v >= 4001 && v < 5009) out.push({ path: 'net/ipv4/vs/conn_reuse_mode', value: '0', why: `kernel ${major}.${minor} < 5.9 stalls reused connections` });
  if (o.strictArp) {
    out.push(
      { path: 'net/ipv4/conf/all/arp_ignore', value: '1', why: 'strict ARP: do not answer ARP for addresses on kube-ipvs0' },
      { path: 'net/ipv4/conf/all/arp_announce', value: '2', why: 'strict ARP: announce only addresses of the outgoing link' },
    );
  }
  const ct = o.conntrack;
  if (ct?.max) out.push({ path: 'net/netfilter/nf_conntrack_max', value: String(ct.max), why: 'conntrack table size (conntrack.maxPerCore × CPUs, at least conntrack.min)', onlyRaise: true });
  if (ct?.tcpEstablishedSeconds) out.push({ path: 'net/netfilter/nf_conntrack_tcp_timeout_established', value: String(ct.tcpEstablishedSeconds), why: 'conntrack.tcpEstablishedTimeout' });
  if (ct?.tcpCloseWaitSeconds) out.push({ path: 'net/netfilter/nf_conntrack_tcp_timeout_close_wait', value: String(ct.tcpCloseWaitSeconds), why: 'conntrack.tcpCloseWaitTimeout' });
  // Before 6.2 the rate estimator holds, every 2 s, the lock that adding a real server takes, which
  // stalls IPVS updates at scale; off loses only the rates (ipvsadm --rate), not the counters.
  if (o.runEstimation === 'on' || o.runEstimation === 'off') {
    out.push({ path: RUN_ESTIMATION, value: o.runEstimation === 'on' ? '1' : '0', why: `--ipvs-run-estimation=${o.runEstimation}`, ifPresent: true });
  }
  return out;
}

/** Set what differs; returns the paths changed. */
export async function ensureSysctls(sysctls: Sysctls, desired: readonly DesiredSysctl[], log: Logger): Promise<string[]> {
  const changed: string[] = [];
  for (const d of desired) {
    let current: string;
    try {
      current = (await sysctls.read(d.path)).trim();
    } catch (e) {
      if (!d.ifPresent || !isKernelError(e, 'ENOENT')) throw e;
      log.warn({ sysctl: d.path, why: d.why }, 'sysctl not available on this kernel; left alone');
      continue;
    }
    if (current === d.value || (d.onlyRaise && Number(current) >= Number(d.value))) continue;
    await sysctls.write(d.path, d.value);
    log.info({ sysctl: d.path, from: current, to: d.value, why: d.why }, 'sysctl changed');
    changed.push(d.path);
  }
  return changed;
}

export class ProcSysctls implements Sysctls {
  constructor(private readonly root = '/proc/sys') {}

  async read(path: string): Promise<string> {
    try {
      return await readFile(join(this.root, path), 'utf8');
    } catch (e) {
      throw new KernelError(errnoName((e as NodeJS.ErrnoException).errno ?? 0), 'read sysctl', path);
    }
  }

  async write(path: string, value: string): Promise<void> {
    try {
      await writeFile(join(this.root, path), `${value}\n`);
    } catch (e) {
      throw new KernelError(errnoName((e as NodeJS.ErrnoException).errno ?? 0), 'write sysctl', path);
    }
  }
}
