// The running proxy: a source of objects, the model, one sync at a time against the kernel, and
// the health and metrics that report on it. Data flows one way: source -> snapshot -> desired
// state -> plan -> kernel.
import type { Logger } from '../log.js';
import type { ModelConfig } from '../model/build.js';
import { ModelCache } from '../model/model-cache.js';
import type { Problem } from '../model/desired-state.js';
import type { NodeFacts } from '../model/node.js';
import type { PlanOptions } from '../plan/plan.js';
import { operationCount } from '../plan/operations.js';
import type { Kernel } from '../sync/kernel.js';
import { SyncMemory, syncChanges, syncOnce } from '../sync/sync-once.js';
import type { Change, Source } from '../sources/source.js';
import { GcTime } from './gc-time.js';
import type { HealthState } from './health.js';
import type { ProxyMetrics } from './metrics.js';
import type { ServiceHealthServers } from './service-health.js';
import { SyncLoop, type SyncReason } from './sync-loop.js';

export interface ProxyOptions {
  readonly source: Source;
  readonly kernel: Kernel;
  readonly nodeName: string;
  /** --node-ip: primary addresses when the Node object does not give them */
  readonly primaryAddresses: readonly string[];
  readonly config: ModelConfig;
  readonly planOptions: PlanOptions;
  readonly minSyncPeriodMs: number;
  readonly syncPeriodMs: number;
  readonly log: Logger;
  readonly metrics: ProxyMetrics;
  readonly health: HealthState;
  readonly serviceHealth?: ServiceHealthServers;
  /** how long a vanished TCP endpoint may drain at weight 0 (default 15 min) */
  readonly gracefulTerminationMs?: number;
}

export class Proxy {
  private readonly loop: SyncLoop;
  /** times of changes not yet programmed, for the network programming latency */
  private pendingChanges: number[] = [];
  /** when the proxy received the first change not yet synced (its wait is logged as queuedMs) */
  private firstReceived: number | undefined;
  private lastProblems = new Set<string>();
  /** the problem list last reported (the model hands back the same one until a problem changes) */
  private reported: readonly Problem[] | undefined;
  private syncedOnce = false;
  private readonly memory: SyncMemory;
  private readonly model = new ModelCache();
  /** Services whose objects changed since the last sync; 'all' when the source cannot say */
  private dirty: Set<string> | 'all' = 'all';

  private readonly gc = new GcTime();

  constructor(private readonly o: ProxyOptions) {
    this.memory = new SyncMemory(o.gracefulTerminationMs);
    this.loop = new SyncLoop({ minSyncPeriodMs: o.minSyncPeriodMs, syncPeriodMs: o.syncPeriodMs, sync: (r) => this.sync(r) });
  }

  /** Start the source and, unless `once`, the sync loop. */
  async start(opts: { once?: boolean } = {}): Promise<void> {
    if (opts.once) { await this.o.source.start(() => undefined); return; }
    this.loop.start();
    await this.o.source.start((changes) => this.changed(changes));
  }

  synced(): boolean { return this.o.source.synced(); }

  /** A full resync as soon as allowed (SIGUSR1). */
  resync(): void { this.loop.trigger('periodic'); }

  /** One sync now, outside the loop (--once). */
  syncNow(): Promise<boolean> { return this.sync('change'); }

  async stop(): Promise<void> {
    await this.o.source.stop();
    await this.loop.stop();
    await this.o.serviceHealth?.close();
    this.gc.stop();
  }

  private changed(changes: readonly Change[]): void {
    this.firstReceived ??= Date.now();
    for (const c of changes) {
      if (c.service === undefined || !this.o.source.objectsOf) this.dirty = 'all';
      else if (this.dirty !== 'all') this.dirty.add(c.service);
      if (c.kind === 'service') this.o.metrics.serviceChanges.inc();
      if (c.kind === 'endpointSlice') { this.o.metrics.endpointChanges.inc(); this.pendingChanges.push(c.at); }
    }
    this.o.metrics.lastQueued.set(Date.now() / 1000);
    // Never program a partial view: wait until Services and EndpointSlices are both listed.
    if (this.o.source.synced()) this.loop.trigger('change');
  }

  private async sync(reason: SyncReason): Promise<boolean> {
    const { log, metrics } = this.o;
    if (!this.o.source.synced()) return true;
    const started = performance.now();
    const gcBefore = this.gc.ms;
    const programmed = this.pendingChanges;
    this.pendingChanges = [];
    // how long the oldest change this sync programs waited for it (min-sync-period, a sync running)
    const received = this.firstReceived;
    const queuedMs = received === undefined ? undefined : Math.max(0, Date.now() - received);
    this.firstReceived = undefined;
    try {
      const info = this.o.source.node();
      const addressesStarted = performance.now();
      const addresses = await this.o.kernel.links.nodeAddresses();
      const nodeAddressesMs = Math.round(performance.now() - addressesStarted);
      const node: NodeFacts = {
        name: this.o.nodeName,
        labels: info?.labels ?? {},
        addresses,
        primaryAddresses: info?.primaryAddresses.length ? info.primaryAddresses : this.o.primaryAddresses,
      };
      // Only the changed Services are computed again when the source can name them.
      const dirty = this.dirty;
      this.dirty = new Set();
      const source = this.o.source;
      const updated = dirty !== 'all' && source.objectsOf && this.model.update(dirty, (id) => source.objectsOf!(id), node, this.o.config);
      if (!updated) this.model.rebuild(source.snapshot(), node, this.o.config);
      const model = this.model.aggregate;
      const changes = this.model.takeChanges();
      const problems = model.problems();
      this.report(problems);
      // A periodic resync reads everything from the kernel again: changes made behind our back
      // (a flushed set or chain) are found and repaired. So does any sync after a failed one.
      if (reason === 'periodic') this.memory.forget();
      const modelMs = Math.round(performance.now() - started);
      const full = !(changes && this.memory.valid);
      const { operations, result, ms, readMs } = !full
        ? await syncChanges(this.o.kernel, model, changes, this.o.planOptions, log, this.memory)
        : await syncOnce(this.o.kernel, model.state(), this.o.planOptions, log, this.memory);
      // A full sync may bind thousands of addresses, more notifications than the address monitor
      // can queue: read the node's addresses again now, not in the next change sync.
      if (full) await this.o.kernel.links.nodeAddresses();
      const healthChecks = model.healthChecks();
      const seconds = (performance.now() - started) / 1000;
      metrics.syncDuration.observe(seconds);
      metrics.countOperations(result.byKind);
      metrics.restoreFailures.inc(result.failed.filter((f) => f.op.kind === 'iptables-restore').length);
      metrics.noLocalEndpoints.set({ traffic_policy: 'external' }, healthChecks.filter((h) => h.localEndpoints === 0).length);
      await this.o.serviceHealth?.update(healthChecks);
      const ok = result.failed.length === 0;
      const summary = { reason, operations: operationCount(operations), failed: result.failed.length, skipped: result.skipped, ms: Math.round(seconds * 1000), queuedMs, gcMs: Math.round(this.gc.ms - gcBefore), virtualServers: model.virtualServerCount,
        full, phasesMs: { nodeAddresses: nodeAddressesMs, model: modelMs - nodeAddressesMs, ...ms }, readMs, ...(full ? { memoryMB: memoryMB() } : {}) };
      if (ok) {
        this.o.health.synced();
        metrics.lastSync.set(Date.now() / 1000);
        const now = Date.now();
        for (const at of programmed) metrics.programming.observe(Math.max(0, now - at) / 1000);
        if (operations.length > 0 || !this.syncedOnce || reason === 'periodic') log.info(summary, 'synced');
        else log.debug(summary, 'synced, nothing to change');
        this.syncedOnce = true;
      } else {
        this.requeue(programmed, received);
        log.warn(summary, 'sync incomplete; retrying');
      }
      metrics.syncs.inc({ result: ok ? 'ok' : 'failed' });
      return ok;
    } catch (e) {
      this.memory.forget();
      this.dirty = 'all';
      this.requeue(programmed, received);
      metrics.syncs.inc({ result: 'failed' });
      log.error({ reason, err: (e as Error).message }, 'sync failed; retrying');
      return false;
    }
  }

  /** A failed sync's changes wait for the next one, still timed from when they came. */
  private requeue(programmed: readonly number[], received: number | undefined): void {
    this.pendingChanges = programmed.concat(this.pendingChanges);
    if (received !== undefined) this.firstReceived = received;
  }

  /** Log each problem once, when it first appears, naming the object; count the skipped objects. */
  private report(problems: readonly Problem[]): void {
    if (problems === this.reported) return;
    this.reported = problems;
    this.o.metrics.skipped.set({ kind: 'Service' }, problems.filter((p) => p.skipped && p.kind === 'Service').length);
    this.o.metrics.skipped.set({ kind: 'EndpointSlice' }, problems.filter((p) => p.skipped && p.kind === 'EndpointSlice').length);
    const now = new Set<string>();
    for (const p of problems) {
      const key = `${p.kind} ${p.namespace}/${p.name} ${p.reason}`;
      now.add(key);
      if (this.lastProblems.has(key)) continue;
      const field = p.kind === 'Service' ? { service: `${p.namespace}/${p.name}` } : { endpointSlice: `${p.namespace}/${p.name}` };
      this.o.log.warn(field, p.skipped ? `not programmed: ${p.reason}` : p.reason);
    }
    this.lastProblems = now;
  }
}

/** Where the process's memory is, after a full sync (in MB): resident, V8's heap, and outside it. */
function memoryMB(): Record<string, number> {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1e6);
  return { rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
}
