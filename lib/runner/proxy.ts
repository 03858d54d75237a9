// The running proxy: a source of objects, the model, one sync at a time against the kernel, and
// the health and metrics that report on it. Data flows one way: source -> snapshot -> desired
// state -> plan -> kernel.
import { getHeapSpaceStatistics } from 'node:v8';
import type { Logger } from '../log.js';
import type { ModelConfig } from '../model/config.js';
import { ModelCache } from '../model/model-cache.js';
import type { DesiredAggregate, StateChanges } from '../model/aggregate.js';
import type { NodeFacts } from '../model/node.js';
import type { PlanOptions } from '../plan/plan.js';
import { describe, operationCount } from '../plan/operations.js';
import { splitServiceId } from '../model/service.js';
import { serviceRef, type EventRecorder } from '../sources/events.js';
import type { Kernel } from '../sync/kernel.js';
import { SyncMemory, syncChanges, syncOnce, type SyncOutcome } from '../sync/sync-once.js';
import { observe } from '../sync/observe.js';
import { TouchedKeys, currentObserved, repairChanges } from '../sync/resync-read.js';
import { findDiscrepancies, Slices, type Discrepancies } from '../sync/resync-check.js';
import type { ObservedState } from '../plan/observed-state.js';
import type { ApplyResult } from '../sync/apply.js';
import type { Change, Source } from '../sources/source.js';
import { ChangeQueue, type TakenChanges } from './change-queue.js';
import { GcTime } from './gc-time.js';
import { ProblemLog } from './problem-log.js';
import type { HealthState } from './health.js';
import type { ProxyMetrics, ServicePortTraffic } from './metrics.js';
import { addStats, vsKey } from '../kernel/ipvs/types.js';
import type { ServiceHealthServers } from './service-health.js';
import { SyncLoop, type SyncReason } from './sync-loop.js';
import { isNarrow, proxyStatus, type StatusFilter } from '../status/build.js';
import { readKernelTable, readVirtualServers } from '../status/read-table.js';
import type { LastSync, StatusReport } from '../status/report.js';
import { sliceOwnerId } from '../model/objects.js';

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
  /** Events on Services about their problems (none without an API server) */
  readonly events?: EventRecorder;
}

export class Proxy {
  private readonly loop: SyncLoop;
  private readonly queue = new ChangeQueue();
  /** aborted by stop(): the sync under way ends its apply early */
  private readonly stopping = new AbortController();
  private readonly problems: ProblemLog;
  private syncedOnce = false;
  private readonly memory: SyncMemory;
  private readonly model = new ModelCache();
  /** Services whose objects changed since the last sync; 'all' when the source cannot say */
  private dirty: Set<string> | 'all' = 'all';

  private readonly gc = new GcTime();
  private lastSync: LastSync | undefined;
  /** a periodic resync's read of the kernel, made beside change syncs, and what they touched meanwhile */
  private resyncRead: ResyncRead | undefined;

  constructor(private readonly o: ProxyOptions) {
    this.memory = new SyncMemory(o.gracefulTerminationMs);
    this.problems = new ProblemLog(o.log, o.metrics, o.events, (id) => o.source.uidOf?.(id));
    this.loop = new SyncLoop({ minSyncPeriodMs: o.minSyncPeriodMs, syncPeriodMs: o.syncPeriodMs, sync: (r) => this.sync(r), prepareResync: () => this.prepareResync() });
  }

  /** Start the source and, unless `once`, the sync loop. */
  async start(opts: { once?: boolean } = {}): Promise<void> {
    if (opts.once) { await this.o.source.start(() => undefined); return; }
    this.loop.start();
    await this.o.source.start((changes) => this.changed(changes));
  }

  synced(): boolean { return this.o.source.synced(); }

  /** The kernel's traffic counters of each Service port this proxy programs, summed over its virtual servers. */
  async serviceTraffic(): Promise<ServicePortTraffic[]> {
    if (!this.model.built) return [];
    const list = await this.o.kernel.ipvs.listStats();
    const agg = this.model.aggregate;
    const out = new Map<string, ServicePortTraffic>();
    for (const { vs, stats: s } of list) {
      const d = s && agg.virtualServer(vsKey(vs));
      if (!d) continue;
      const id = `${d.service} ${d.portName} ${d.vs.protocol}`;
      const was = out.get(id);
      const { namespace, name } = splitServiceId(d.service);
      out.set(id, was ? { ...was, stats: addStats(was.stats, s) } : { namespace, service: name, port: d.portName, protocol: d.vs.protocol, stats: s });
    }
    return [...out.values()];
  }

  /**
   * Each Service's virtual servers as the kernel holds them now, with its endpoints and the last
   * sync (the /status endpoint). A report of one Service or address reads only its virtual servers.
   */
  async status(filter: StatusFilter = {}): Promise<StatusReport> {
    const built = this.model.built;
    const source = this.o.source;
    const services = built ? [...this.model.aggregate.serviceStates(filter.service)] : [];
    const table = isNarrow(filter)
      ? await readVirtualServers(this.o.kernel.ipvs, services.flatMap((st) => st.virtualServers.filter((d) => filter.address === undefined || d.vs.address === filter.address).map((d) => d.vs)))
      : await readKernelTable(this.o.kernel.ipvs);
    const slicesOf = (id: string) => {
      const group = source.objectsOf?.(id);
      const slices = group ? group.slices : source.snapshot().endpointSlices.filter((s) => sliceOwnerId(s) === id);
      return slices.flatMap((s) => (s.slice ? [s.slice] : []));
    };
    return proxyStatus({ node: this.o.nodeName, lastSync: this.lastSync, problems: built ? this.model.aggregate.problems() : [], services, slicesOf }, table, filter);
  }

  /** A full resync as soon as allowed (SIGUSR1). */
  resync(): void { this.loop.resync(); }

  /** One sync now, outside the loop (--once). */
  syncNow(): Promise<boolean> { return this.sync('change'); }

  async stop(): Promise<void> {
    // a sync under way ends after its requests in flight (applyPlan), within a pod's grace period
    this.stopping.abort();
    await this.o.source.stop();
    await this.loop.stop();
    await this.o.serviceHealth?.close();
    this.gc.stop();
  }

  private changed(changes: readonly Change[]): void {
    for (const c of changes) {
      if (c.service === undefined || !this.o.source.objectsOf) this.dirty = 'all';
      else if (this.dirty !== 'all') this.dirty.add(c.service);
      if (c.kind === 'service') this.o.metrics.serviceChanges.inc();
      if (c.kind === 'endpointSlice') this.o.metrics.endpointChanges.inc();
      this.queue.add(c.kind === 'endpointSlice' ? c.at : undefined);
    }
    this.o.metrics.lastQueued.set(Date.now() / 1000);
    // Never program a partial view: wait until Services and EndpointSlices are both listed.
    if (this.o.source.synced()) this.loop.trigger('change');
  }

  /**
   * A periodic resync's read of everything in the kernel and its comparison with the model,
   * outside the turn of syncs (the comparison in slices that let them run). None before the
   * first sync or after a failed one: the next sync (the first, or the retry) is a full one, and
   * a resync queued behind it would hold back changes for a second full read.
   */
  private async prepareResync(): Promise<boolean> {
    if (!this.o.source.synced() || !this.memory.valid) return false;
    const read: ResyncRead = { touched: new TouchedKeys(), readMs: {}, ms: 0, checkMs: 0 };
    this.resyncRead = read;
    let t = performance.now();
    try {
      read.observed = await observe(this.o.kernel, this.o.config.families, { readMs: read.readMs });
      read.ms = Math.round(performance.now() - t);
      t = performance.now();
      read.found = await findDiscrepancies(read.observed, this.model.aggregate, this.o.planOptions.excludeCidrs, new Slices(CHECK_SLICE_MS));
      read.checkMs = Math.round(performance.now() - t);
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'resync: reading the kernel failed; its turn reads it again');
    }
    return true;
  }

  /** One sync: node facts, the model of what changed, the kernel made to match, then health, metrics and the log. */
  private async sync(reason: SyncReason): Promise<boolean> {
    if (!this.o.source.synced()) return true;
    const started = performance.now();
    const gcBefore = this.gc.ms;
    const taken = this.queue.take();
    const read = reason === 'periodic' ? this.resyncRead : undefined;
    if (reason === 'periodic') this.resyncRead = undefined;
    try {
      const { node, ms: nodeAddressesMs } = await this.nodeFacts();
      const { model, changes } = this.computeModel(node);
      this.problems.report(model.problems());
      // A periodic resync compares everything with the kernel: changes made behind our back (a
      // flushed set or chain) are found and repaired. Its read was made beforehand, beside change
      // syncs, unless a sync failed or the model was rebuilt since: then it reads now, as does any
      // sync after a failed one.
      const prepared = read?.observed && changes && this.memory.valid ? read : undefined;
      if (reason === 'periodic' && !prepared) this.memory.forget();
      const modelMs = Math.round(performance.now() - started) - nodeAddressesMs;
      const full = !(changes && this.memory.valid) || prepared !== undefined;
      // a full sync sees everything: a resync's read made before it would only be older
      if (full) this.resyncRead = undefined;
      if (prepared?.found?.whole) this.o.log.info({ why: prepared.found.whole }, 'resync: planning everything against its read');
      // What the check found different, and what changed since: a plan of those keys alone.
      const repair = prepared?.found && !prepared.found.whole ? repairChanges(prepared.found, prepared.touched, changes!) : undefined;
      // tables found different are read again and rewritten, as after any forgotten write
      for (const t of repair ? prepared!.found!.tables : []) this.memory.tables.delete(t);
      const outcome = repair
        ? await syncChanges(this.o.kernel, model, repair, this.o.planOptions, this.o.log, this.memory, this.stopping.signal)
        : full
          ? await syncOnce(this.o.kernel, model.state(), this.o.planOptions, this.o.log, this.memory,
            prepared && await currentObserved(this.o.kernel, prepared.observed!, prepared.touched, model, changes!), this.stopping.signal)
          : await syncChanges(this.o.kernel, model, changes!, this.o.planOptions, this.o.log, this.memory, this.stopping.signal);
      if (!full) this.resyncRead?.touched.add(outcome.planned ?? [], changes!);
      // A full sync may bind thousands of addresses, more notifications than the address monitor
      // can queue: read the node's addresses again now, not in the next change sync.
      if (full && !repair) await this.o.kernel.links.nodeAddresses();
      await this.publish(model, outcome.result);
      const seconds = (performance.now() - started) / 1000;
      const queuedMs = taken.received === undefined ? undefined : Math.max(0, Date.now() - taken.received);
      return this.conclude(reason, taken, outcome, {
        operations: operationCount(outcome.operations), failed: outcome.result.failed.length, skipped: outcome.result.skipped,
        ms: Math.round(seconds * 1000), queuedMs, gcMs: Math.round(this.gc.ms - gcBefore), virtualServers: model.virtualServerCount,
        full, phasesMs: { nodeAddresses: nodeAddressesMs, model: modelMs, ...outcome.ms }, readMs: prepared ? prepared.readMs : outcome.readMs, ...(full ? { applyMs: outcome.result.msByKind, memoryMB: memoryMB() } : {}),
        ...(prepared ? { resyncReadMs: prepared.ms, resyncCheckMs: prepared.checkMs } : {}),
        ...(repair ? { repaired: { virtualServers: repair.virtualServers.size, members: sumSizes(repair.members), bound: repair.bound.size, tables: prepared!.found!.tables.size } } : {}),
      }, seconds);
    } catch (e) {
      this.memory.forget();
      this.dirty = 'all';
      this.queue.putBack(taken);
      this.o.metrics.syncs.inc({ result: 'failed' });
      this.o.log.error({ reason, err: (e as Error).message }, 'sync failed; retrying');
      return false;
    }
  }

  /** This node as the model sees it: its addresses from the kernel, labels and primary addresses from its Node object. */
  private async nodeFacts(): Promise<{ node: NodeFacts; ms: number }> {
    const info = this.o.source.node();
    const t = performance.now();
    const addresses = await this.o.kernel.links.nodeAddresses();
    const node: NodeFacts = {
      name: this.o.nodeName,
      labels: info?.labels ?? {},
      addresses,
      primaryAddresses: info?.primaryAddresses.length ? info.primaryAddresses : this.o.primaryAddresses,
      podCidrs: info?.podCidrs ?? [],
    };
    return { node, ms: Math.round(performance.now() - t) };
  }

  /** The model brought up to date: only the changed Services when the source can name them, else all. */
  private computeModel(node: NodeFacts): { model: DesiredAggregate; changes: StateChanges | undefined } {
    const dirty = this.dirty;
    this.dirty = new Set();
    const source = this.o.source;
    const updated = dirty !== 'all' && source.objectsOf && this.model.update(dirty, (id) => source.objectsOf!(id), node, this.o.config);
    if (!updated) this.model.rebuild(source.snapshot(), node, this.o.config);
    return { model: this.model.aggregate, changes: this.model.takeChanges() };
  }

  /** Health check servers, metrics and Events of failed operations after a sync. */
  private async publish(model: DesiredAggregate, result: ApplyResult): Promise<void> {
    const { metrics } = this.o;
    for (const f of result.failed) {
      const service = 'service' in f.op ? f.op.service : undefined;
      if (!service || !this.o.events) continue;
      const { namespace, name } = splitServiceId(service);
      this.o.events.record({
        regarding: serviceRef(namespace, name, this.o.source.uidOf?.(service)),
        type: 'Warning', reason: 'SyncFailed', action: 'Programming', note: `${describe(f.op)}: ${f.error.message}`,
      });
    }
    const healthChecks = model.healthChecks();
    metrics.countOperations(result.byKind);
    metrics.restoreFailures.inc(result.failed.filter((f) => f.op.kind === 'iptables-restore').length);
    metrics.noLocalEndpoints.set({ traffic_policy: 'external' }, healthChecks.filter((h) => h.localEndpoints === 0).length);
    await this.o.serviceHealth?.update(healthChecks);
  }

  /** The sync's result: health and latency when it succeeded, its changes put back when not; logged either way. */
  private conclude(reason: SyncReason, taken: TakenChanges, outcome: SyncOutcome, summary: Record<string, unknown>, seconds: number): boolean {
    const { log, metrics } = this.o;
    const ok = outcome.result.failed.length === 0;
    this.lastSync = {
      at: new Date().toISOString(), ok, reason, full: summary.full === true, ms: Math.round(seconds * 1000),
      operations: operationCount(outcome.operations), failed: outcome.result.failed.length,
    };
    metrics.syncDuration.observe(seconds);
    if (ok) {
      this.o.health.synced();
      metrics.lastSync.set(Date.now() / 1000);
      const now = Date.now();
      for (const at of taken.at) metrics.programming.observe(Math.max(0, now - at) / 1000);
      if (outcome.operations.length > 0 || !this.syncedOnce || reason === 'periodic') log.info({ reason, ...summary }, 'synced');
      else log.debug({ reason, ...summary }, 'synced, nothing to change');
      this.syncedOnce = true;
    } else {
      this.queue.putBack(taken);
      log.warn({ reason, ...summary }, 'sync incomplete; retrying');
    }
    metrics.syncs.inc({ result: ok ? 'ok' : 'failed' });
    return ok;
  }
}

/** A periodic resync's read, made beside change syncs (see lib/sync/resync-read.ts). */
interface ResyncRead {
  readonly touched: TouchedKeys;
  /** what the read saw; undefined until it is done, or when it failed */
  observed?: ObservedState;
  /** what the read holds differently from the model; undefined until compared */
  found?: Discrepancies;
  readonly readMs: Record<string, number>;
  ms: number;
  checkMs: number;
}

/** How long the resync's comparison runs before it lets waiting syncs go. */
const CHECK_SLICE_MS = 20;

const sumSizes = (m: ReadonlyMap<string, ReadonlyMap<string, boolean>>) => { let n = 0; for (const v of m.values()) n += v.size; return n; };

/**
 * Where the process's memory is, after a full sync (in MB): resident, V8's heap (and of it the
 * young generation, compiled code and large objects), and outside it (buffers).
 */
function memoryMB(): Record<string, number> {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1e6);
  const spaces = getHeapSpaceStatistics();
  const space = (name: string) => mb(spaces.find((s) => s.space_name === name)?.physical_space_size ?? 0);
  return {
    rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers),
    youngSpace: space('new_space'), codeSpace: space('code_space'), largeObjects: space('large_object_space'),
  };
}
