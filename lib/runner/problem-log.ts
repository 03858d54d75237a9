// The problems of the objects (skipped Services and slices, warnings) as an operator sees them: each
// logged once, when it first appears, naming its object; a Service's also as an Event on it
// (kubectl describe service); the skipped ones counted in metrics.
import type { Logger } from '../log.js';
import type { Problem } from '../model/desired-state.js';
import { NO_EVENTS, serviceRef, type EventRecorder, type ObjectRef } from '../sources/events.js';
import type { ProxyMetrics } from './metrics.js';

export class ProblemLog {
  private logged = new Map<string, Problem>();
  /** the list last seen (the model hands back the same one until a problem changes) */
  private seen: readonly Problem[] | undefined;

  constructor(
    private readonly log: Logger,
    private readonly metrics: ProxyMetrics,
    private readonly events: EventRecorder = NO_EVENTS,
    private readonly uidOf: (service: string) => string | undefined = () => undefined,
  ) {}

  report(problems: readonly Problem[]): void {
    if (problems === this.seen) return;
    this.seen = problems;
    for (const kind of ['Service', 'EndpointSlice'] as const) this.metrics.skipped.set({ kind }, problems.filter((p) => p.skipped && p.kind === kind).length);
    const now = new Map<string, Problem>();
    for (const p of problems) {
      const key = `${p.kind} ${p.namespace}/${p.name} ${p.reason}`;
      now.set(key, p);
      if (this.logged.has(key)) continue;
      const field = p.kind === 'Service' ? { service: `${p.namespace}/${p.name}` } : { endpointSlice: `${p.namespace}/${p.name}` };
      this.log.warn(field, p.skipped ? `not programmed: ${p.reason}` : p.reason);
      if (p.kind === 'Service') this.events.record({ regarding: this.ref(p), type: 'Warning', reason: eventReason(p), action: 'Programming', note: p.reason });
    }
    for (const [key, p] of this.logged) if (!now.has(key) && p.kind === 'Service') this.events.forget(this.ref(p), eventReason(p));
    this.logged = now;
  }

  private ref(p: Problem): ObjectRef {
    return serviceRef(p.namespace, p.name, this.uidOf(`${p.namespace}/${p.name}`));
  }
}

/** The Event reason of a Service's problem. */
function eventReason(p: Problem): string {
  if (/ is already used by /.test(p.reason)) return 'VirtualServerConflict';
  return p.skipped ? 'NotProgrammed' : 'PartlyIgnored';
}
