// Time this process spends in garbage-collection pauses, for each sync's log line: a sync slow in
// every phase at once was either the collector or the machine, and this says which.
import { PerformanceObserver } from 'node:perf_hooks';

export class GcTime {
  private total = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.total += e.duration;
  });

  constructor() { this.observer.observe({ entryTypes: ['gc'] }); }

  /** Milliseconds of pauses so far. An entry arrives a tick after its collection ends. */
  get ms(): number { return this.total; }

  stop(): void { this.observer.disconnect(); }
}
