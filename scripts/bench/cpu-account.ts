// Where the CPU went during one change, for the bench to say what made a slow change slow: the
// proxy (its main thread, V8's worker threads: concurrent marking and compiling), the bench itself (its API server and polling), the kernel's IPVS rate-estimation kthreads
// (6.2 and later), the rest of the VM, and the VM's idle time; and, when scripts/vm-run shares the
// host's counters (VM_HOST_STAT=1), the host: its hypervisor's steal, QEMU, everything else.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux
const HOST_STAT = '/run/vm-run/host-stat';

export interface CpuSample {
  guestBusyMs: number; guestIdleMs: number; proxyMs: number; proxyMainMs: number; proxyV8WorkersMs: number; benchMs: number; estimationMs: number;
  host?: { busyMs: number; stealMs: number; qemuMs: number };
}
/** The CPU during an interval, in ms summed over CPUs (two CPUs busy for 100 ms is 200). */
export type CpuSpent = Record<'proxy' | 'proxyMain' | 'proxyV8Workers' | 'bench' | 'estimation' | 'otherGuest' | 'guestIdle' | 'hostSteal' | 'hostOther' | 'qemu', number>;

/** A process's or thread's (`PID/task/TID`) CPU time, in ms. */
function processMs(pid: number | string): number {
  const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
  return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
}

/** A process's main thread and V8's worker threads (named so by Node), in ms. */
function threadsMs(pid: number): { main: number; v8Workers: number } {
  let main = 0;
  let v8Workers = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (tid === String(pid)) main = processMs(`${pid}/task/${tid}`);
      else if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('V8Worker')) v8Workers += processMs(`${pid}/task/${tid}`);
    } catch { /* ended meanwhile */ }
  }
  return { main, v8Workers };
}

/** The estimation kthreads (`ipvs-e:<netns>:<n>`): 6.2 and later start and stop them as needed. */
function estimationMs(): number {
  let ms = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('ipvs-e:')) ms += processMs(pid);
    } catch { /* gone meanwhile */ }
  }
  return ms;
}

function host(): CpuSample['host'] {
  try {
    const s = JSON.parse(readFileSync(HOST_STAT, 'utf8')) as { host: Record<string, number>; qemuMs: number };
    const h = s.host;
    return { busyMs: h.user! + h.nice! + h.system! + h.irq! + h.softirq!, stealMs: h.steal!, qemuMs: s.qemuMs };
  } catch { return undefined; } // not shared (no VM_HOST_STAT), or not yet written
}

export function sampleCpu(proxyPid: number): CpuSample {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.split(/\s+/).slice(1).map((x) => Number(x) * TICK_MS);
  const [user, nice, system, idle, iowait, irq, softirq] = f as [number, number, number, number, number, number, number];
  const { user: u, system: s } = process.cpuUsage();
  const threads = threadsMs(proxyPid);
  return { guestBusyMs: user + nice + system + irq + softirq, guestIdleMs: idle + iowait, proxyMs: processMs(proxyPid), proxyMainMs: threads.main, proxyV8WorkersMs: threads.v8Workers, benchMs: (u + s) / 1000, estimationMs: estimationMs(), host: host() };
}

export function cpuSpent(a: CpuSample, b: CpuSample): CpuSpent {
  const proxy = b.proxyMs - a.proxyMs;
  const bench = b.benchMs - a.benchMs;
  const estimation = b.estimationMs - a.estimationMs;
  const qemu = a.host && b.host ? b.host.qemuMs - a.host.qemuMs : NaN;
  return {
    proxy, proxyMain: b.proxyMainMs - a.proxyMainMs, proxyV8Workers: b.proxyV8WorkersMs - a.proxyV8WorkersMs, bench, estimation,
    otherGuest: Math.max(0, b.guestBusyMs - a.guestBusyMs - proxy - bench - estimation),
    guestIdle: b.guestIdleMs - a.guestIdleMs,
    hostSteal: a.host && b.host ? b.host.stealMs - a.host.stealMs : NaN,
    hostOther: a.host && b.host ? Math.max(0, b.host.busyMs - a.host.busyMs - qemu) : NaN,
    qemu,
  };
}

/** The mean of each part over some intervals, rounded to the ms. */
export function meanSpent(xs: readonly CpuSpent[]): CpuSpent | undefined {
  if (xs.length === 0) return undefined;
  const keys = Object.keys(xs[0]!) as Array<keyof CpuSpent>;
  return Object.fromEntries(keys.map((k) => [k, Math.round(xs.reduce((a, x) => a + x[k], 0) / xs.length)])) as CpuSpent;
}
