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

/** What a Service's annotations ask for; what they leave out comes from --scheduler. */
export interface SchedulerRequest {
  readonly name?: Scheduler;
  readonly flags?: number;
}

export const SCHEDULER_ANNOTATIONS = ['ipvs-proxy.io/scheduler', 'kube-router.io/service.scheduler'] as const;
export const SCHEDULER_FLAGS_ANNOTATIONS = ['ipvs-proxy.io/scheduler-flags', 'kube-router.io/service.schedflags'] as const;

const FLAG_NAMES: Readonly<Record<string, number>> = {
  fallback: SvcFlags.SCHED1, 'flag-1': SvcFlags.SCHED1, 'sh-fallback': SvcFlags.SCHED1, 'mh-fallback': SvcFlags.SCHED1,
  port: SvcFlags.SCHED2, 'flag-2': SvcFlags.SCHED2, 'sh-port': SvcFlags.SCHED2, 'mh-port': SvcFlags.SCHED2,
  'flag-3': SvcFlags.SCHED3,
};

const isScheduler = (v: string): v is Scheduler => (IPVS_SCHEDULERS as readonly string[]).includes(v);

/** The request of a Service's annotations (undefined: none); a bad annotation adds a warning and is ignored. */
export function schedulerRequest(annotations: Readonly<Record<string, string>>, warnings: string[]): SchedulerRequest | undefined {
  let name: Scheduler | undefined;
  let flags: number | undefined;
  for (const key of SCHEDULER_ANNOTATIONS) {
    const v = annotations[key]?.trim();
    if (v === undefined) continue;
    if (isScheduler(v)) { name = v; break; }
    warnings.push(`annotation ${key}: "${v}" is not one of ${IPVS_SCHEDULERS.join(', ')}; using the default scheduler`);
  }
  for (const key of SCHEDULER_FLAGS_ANNOTATIONS) {
    const v = annotations[key];
    if (v === undefined) continue;
    let f = 0;
    const bad = v.split(',').map((s) => s.trim()).filter((s) => s !== '').filter((s) => {
      const bit = FLAG_NAMES[s];
      if (bit === undefined) return true;
      f |= bit;
      return false;
    });
    if (bad.length === 0) { flags = f; break; }
    warnings.push(`annotation ${key}: unknown flag ${bad.map((b) => `"${b}"`).join(', ')} (known: ${Object.keys(FLAG_NAMES).join(', ')})`);
  }
  if (name === undefined && flags === undefined) return undefined;
  return Object.freeze({ ...(name !== undefined ? { name } : {}), ...(flags !== undefined ? { flags } : {}) });
}

/** The scheduler a Service gets: its request, else `fallback` (--scheduler). */
export function resolveScheduler(request: SchedulerRequest | undefined, fallback: string): SchedulerChoice {
  const name = request?.name ?? fallback;
  // As upstream: mh hashes the source port too, so one client's connections spread.
  return choice(name, request?.flags ?? (name === 'mh' ? SvcFlags.SCHED2 : 0));
}

// One shared, frozen object per choice: every Service keeps one, and almost all keep the same.
const ALL_FLAGS = SvcFlags.SCHED1 | SvcFlags.SCHED2 | SvcFlags.SCHED3;
const CHOICES: ReadonlyMap<string, SchedulerChoice> = new Map(IPVS_SCHEDULERS.flatMap((name) =>
  Array.from({ length: ALL_FLAGS + 1 }, (_, flags) => flags).filter((f) => (f & ~ALL_FLAGS) === 0)
    .map((flags) => [`${name}/${flags}`, Object.freeze({ name, flags })] as const)));
function choice(name: string, flags: number): SchedulerChoice {
  return CHOICES.get(`${name}/${flags}`) ?? Object.freeze({ name, flags });
}
