// One sync: observe the kernel, plan the diff to the desired state, apply it.
import type { Logger } from '../log.js';
import type { DesiredState } from '../model/desired-state.js';
import type { Operation } from '../plan/operations.js';
import { tableKey } from '../plan/observed-state.js';
import { vsKey } from '../kernel/ipvs/types.js';
import type { DesiredVirtualServer } from '../model/desired-state.js';
import type { SetState } from '../kernel/ipset/types.js';
import { DEFAULT_GRACEFUL_TERMINATION_MS, drainKeyVs, plan, type PlanOptions } from '../plan/plan.js';
import { applyPlan, type ApplyResult } from './apply.js';
import type { Kernel } from './kernel.js';
import { observe } from './observe.js';

export interface SyncOutcome {
  readonly operations: readonly Operation[];
  readonly result: ApplyResult;
}

/**
 * What the last sync left in the sets and iptables tables, when it fully succeeded. Only the
 * proxy writes its sets and chains, so a change sync can plan against this instead of running
 * `ipset save` and iptables-save; a full resync reads them again (and repairs tampering).
 */
export class SyncMemory {
  sets: ReadonlyMap<string, SetState> | undefined;
  /** "4/nat" -> the rules that table was verified or written to hold */
  readonly tables = new Map<string, string>();
  /** graceful termination: real servers draining since, and those listed as terminating */
  draining = new Map<string, number>();
  terminating = new Set<string>();
  /** the virtual servers the last sync left as desired (same objects while a Service is unchanged) */
  virtualServers: ReadonlyMap<string, DesiredVirtualServer> | undefined;

  constructor(readonly gracefulTerminationMs = DEFAULT_GRACEFUL_TERMINATION_MS, readonly now: () => number = Date.now) {}

  /** Forget what was written (the next sync reads the kernel); drain times are kept. */
  forget(): void { this.sets = undefined; this.tables.clear(); this.virtualServers = undefined; }
}

export async function syncOnce(kernel: Kernel, desired: DesiredState, opts: PlanOptions, log: Logger, memory?: SyncMemory): Promise<SyncOutcome> {
  const verified = new Set<string>();
  for (const f of desired.iptables) {
    for (const t of f.tables) if (memory?.tables.get(tableKey(f.family, t.table)) === t.rules.join('\n')) verified.add(tableKey(f.family, t.table));
  }
  // With the memory of a successful sync, only the virtual servers whose desired state changed
  // (or that are draining) are read back and planned: the work follows the change, not the cluster.
  let subset: Set<string> | undefined;
  const prev = memory?.sets ? memory.virtualServers : undefined;
  if (memory && prev) {
    subset = new Set<string>();
    const cur = new Map(desired.virtualServers.map((d) => [vsKey(d.vs), d]));
    for (const [k, d] of cur) if (prev.get(k) !== d) subset.add(k);
    for (const k of prev.keys()) if (!cur.has(k)) subset.add(k);
    for (const k of memory.draining.keys()) subset.add(drainKeyVs(k));
  }
  const observed = await observe(kernel, desired.families, {
    knownSets: memory?.sets, verifiedTables: verified,
    onlyVirtualServers: subset && prev ? [...subset].flatMap((k) => { const p = prev.get(k); return p ? [p.vs] : []; }) : undefined,
  });
  const planned = subset ? { ...desired, virtualServers: desired.virtualServers.filter((d) => subset.has(vsKey(d.vs))) } : desired;
  const drain = memory ? { now: memory.now(), timeoutMs: memory.gracefulTerminationMs, since: memory.draining, wasTerminating: memory.terminating } : opts.drain;
  const { operations, draining, terminating } = plan(planned, observed, { ...opts, drain });
  const result = await applyPlan(operations, kernel, log);
  if (memory) {
    if (subset) {
      // draining and terminating entries of the Services not planned this time stay as they were
      for (const [k, v] of memory.draining) if (!subset.has(drainKeyVs(k))) draining.set(k, v);
      for (const k of memory.terminating) if (!subset.has(drainKeyVs(k))) terminating.add(k);
    }
    memory.draining = draining;
    memory.terminating = terminating;
    memory.forget();
    if (result.failed.length === 0 && result.skipped === 0) {
      memory.sets = new Map(desired.sets.map((s) => [s.name, s]));
      memory.virtualServers = new Map(desired.virtualServers.map((d) => [vsKey(d.vs), d]));
      for (const f of desired.iptables) for (const t of f.tables) memory.tables.set(tableKey(f.family, t.table), t.rules.join('\n'));
    }
  }
  return { operations, result };
}
