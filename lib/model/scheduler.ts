// The IPVS scheduler of a Service: --scheduler, overridden per Service by an annotation (ours, or
// kube-router's, which IPVS users already know). A bad annotation is a warning and the default
// applies: a typo must not take a Service down.
import { SvcFlags } from '../kernel/ipvs/types.js';

/** The schedulers of Linux IPVS (ip_vs_*.ko) a Service may ask for. */
export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh'] as const;
export type Scheduler = (typeof IPVS_SCHEDULERS)[number];

export interface SchedulerChoice {
  readonly name: string;
  /** IP_VS_SVC_F_SCHED* flags */
  readonly flags: number;
}

export const SCHEDULER_ANNOTATIONS = ['ipvs-proxy.io/scheduler', 'kube-router.io/service.scheduler'] as const;
export const SCHEDULER_FLAGS_ANNOTATIONS = ['ipvs-proxy.io/scheduler-flags', 'kube-router.io/service.schedflags'] as const;

const FLAG_NAMES: Readonly<Record<string, number>> = {
  fallback: SvcFlags.SCHED1, 'flag-1': SvcFlags.SCHED1, 'sh-fallback': SvcFlags.SCHED1, 'mh-fallback': SvcFlags.SCHED1,
  port: SvcFlags.SCHED2, 'flag-2': SvcFlags.SCHED2, 'sh-port': SvcFlags.SCHED2, 'mh-port': SvcFlags.SCHED2,
  'flag-3': SvcFlags.SCHED3,
};

export function schedulerOf(annotations: Readonly<Record<string, string>>, fallback: string, warnings: string[]): SchedulerChoice {
  let name = fallback;
  for (const key of SCHEDULER_ANNOTATIONS) {
    const v = annotations[key]?.trim();
    if (v === undefined) continue;
    if ((IPVS_SCHEDULERS as readonly string[]).includes(v)) { name = v; break; }
    warnings.push(`annotation ${key}: "${v}" is not one of ${IPVS_SCHEDULERS.join(', ')}; using ${fallback}`);
  }
  for (const key of SCHEDULER_FLAGS_ANNOTATIONS) {
    const v = annotations[key];
    if (v === undefined) continue;
    let flags = 0;
    const bad = v.split(',').map((s) => s.trim()).filter((s) => s !== '').filter((s) => {
      const f = FLAG_NAMES[s];
      if (f === undefined) return true;
      flags |= f;
      return false;
    });
    if (bad.length === 0) return choice(name, flags);
    warnings.push(`annotation ${key}: unknown flag ${bad.map((b) => `"${b}"`).join(', ')} (known: ${Object.keys(FLAG_NAMES).join(', ')})`);
  }
  // As upstream: mh hashes the source port too, so one client's connections spread.
  return choice(name, name === 'mh' ? SvcFlags.SCHED2 : 0);
}

// One shared, frozen object per choice: every Service keeps one, and almost all keep the same.
const ALL_FLAGS = SvcFlags.SCHED1 | SvcFlags.SCHED2 | SvcFlags.SCHED3;
const CHOICES: ReadonlyMap<string, SchedulerChoice> = new Map(IPVS_SCHEDULERS.flatMap((name) =>
  Array.from({ length: ALL_FLAGS + 1 }, (_, flags) => flags).filter((f) => (f & ~ALL_FLAGS) === 0)
    .map((flags) => [`${name}/${flags}`, Object.freeze({ name, flags })] as const)));
function choice(name: string, flags: number): SchedulerChoice {
  return CHOICES.get(`${name}/${flags}`) ?? Object.freeze({ name, flags });
}
