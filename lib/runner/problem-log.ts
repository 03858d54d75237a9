// The problems of the objects (skipped Services and slices, warnings) as an operator sees them: each
// logged once, when it first appears, naming its object, and the skipped ones counted in metrics.
import type { Logger } from '../log.js';
import type { Problem } from '../model/desired-state.js';
import type { ProxyMetrics } from './metrics.js';

export class ProblemLog {
  private logged = new Set<string>();
  /** the list last seen (the model hands back the same one until a problem changes) */
  private seen: readonly Problem[] | undefined;

  constructor(private readonly log: Logger, private readonly metrics: ProxyMetrics) {}

  report(problems: readonly Problem[]): void {
    if (problems === this.seen) return;
    this.seen = problems;
    for (const kind of ['Service', 'EndpointSlice'] as const) this.metrics.skipped.set({ kind }, problems.filter((p) => p.skipped && p.kind === kind).length);
    const now = new Set<string>();
    for (const p of problems) {
      const key = `${p.kind} ${p.namespace}/${p.name} ${p.reason}`;
      now.add(key);
      if (this.logged.has(key)) continue;
      const field = p.kind === 'Service' ? { service: `${p.namespace}/${p.name}` } : { endpointSlice: `${p.namespace}/${p.name}` };
      this.log.warn(field, p.skipped ? `not programmed: ${p.reason}` : p.reason);
    }
    this.logged = now;
  }
}
