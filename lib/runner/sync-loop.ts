// When to sync: changes coalesce and run at most once per min-sync-period; a full resync runs
// every sync-period whatever happens; a failed sync is retried with backoff (1 s doubling, up to
// the sync period). One sync at a time.
export interface SyncLoopOptions {
  readonly minSyncPeriodMs: number;
  readonly syncPeriodMs: number;
  /** runs one sync; resolves true on success. Must not throw (errors are its to log). */
  readonly sync: (reason: SyncReason) => Promise<boolean>;
}

export type SyncReason = 'change' | 'periodic' | 'retry';

export class SyncLoop {
  private running: Promise<void> | undefined;
  private pending: SyncReason | undefined;
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private lastStart = -Infinity;
  private retryMs = 1000;
  private stopped = false;

  constructor(private readonly o: SyncLoopOptions) {}

  /** Start the periodic resync (the first sync comes from the first trigger). */
  start(): void {
    this.periodic = setInterval(() => this.trigger('periodic'), this.o.syncPeriodMs);
  }

  /** Something changed: sync soon, but not sooner than min-sync-period after the last start. */
  trigger(reason: SyncReason = 'change'): void {
    if (this.stopped) return;
    if (this.pending === undefined || reason === 'periodic') this.pending = reason;
    if (this.running || this.timer) return;
    const wait = Math.max(0, this.lastStart + this.o.minSyncPeriodMs - performance.now());
    this.timer = setTimeout(() => { this.timer = undefined; this.run(); }, wait);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.periodic);
    await this.running;
  }

  private run(): void {
    const reason = this.pending;
    if (reason === undefined || this.stopped) return;
    this.pending = undefined;
    this.lastStart = performance.now();
    this.running = this.o.sync(reason).then((ok) => {
      this.running = undefined;
      if (ok) this.retryMs = 1000;
      else {
        const delay = this.retryMs;
        this.retryMs = Math.min(this.retryMs * 2, this.o.syncPeriodMs);
        setTimeout(() => this.trigger('retry'), delay).unref();
      }
      if (this.pending !== undefined) this.trigger(this.pending);
    });
  }
}
