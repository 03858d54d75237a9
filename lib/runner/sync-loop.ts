// When to sync: changes coalesce and run at most once per min-sync-period; a full resync runs
// every sync-period whatever happens; a failed sync is retried with backoff (1 s doubling, up to
// the sync period). One sync at a time, but a full resync's long read of the kernel
// (`prepareResync`) runs beside change syncs: only its plan and apply take a turn, so a change
// never waits behind the read.
export interface SyncLoopOptions {
  readonly minSyncPeriodMs: number;
  readonly syncPeriodMs: number;
  /** runs one sync; resolves true on success. Must not throw (errors are its to log). */
  readonly sync: (reason: SyncReason) => Promise<boolean>;
  /**
   * Reads what the next periodic sync needs, outside the turn of syncs; resolves false when no
   * resync is needed (the next sync reads everything anyway). Must not throw.
   */
  readonly prepareResync?: () => Promise<boolean>;
}

export type SyncReason = 'change' | 'periodic' | 'retry';

export class SyncLoop {
  private running: Promise<void> | undefined;
  private pending: SyncReason | undefined;
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private preparing: Promise<void> | undefined;
  private lastStart = -Infinity;
  private retryMs = 1000;
  private stopped = false;

  constructor(private readonly o: SyncLoopOptions) {}

  /** Start the periodic resync (the first sync comes from the first trigger). */
  start(): void {
    this.periodic = setInterval(() => this.resync(), this.o.syncPeriodMs);
  }

  /** A full resync: its read first, beside other syncs, then its turn. */
  resync(): void {
    if (this.stopped || this.preparing) return;
    if (!this.o.prepareResync) { this.trigger('periodic'); return; }
    this.preparing = this.o.prepareResync().then((needed) => {
      this.preparing = undefined;
      if (needed) this.trigger('periodic');
    });
  }

  /** Something changed: sync soon, but not sooner than min-sync-period after the last start. */
  trigger(reason: SyncReason = 'change'): void {
    if (this.stopped) return;
    if (this.pending === undefined || reason === 'periodic') this.pending = reason;
    if (this.running || this.timer) return;
    // a resync's read is done: its turn comes now, not min-sync-period after the last change
    const wait = this.pending === 'periodic' ? 0 : Math.max(0, this.lastStart + this.o.minSyncPeriodMs - performance.now());
    this.timer = setTimeout(() => { this.timer = undefined; this.run(); }, wait);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.periodic);
    // a resync's read in progress is not waited for (at tens of thousands of Services it takes a
    // minute, longer than a pod's grace period); its result is dropped
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
