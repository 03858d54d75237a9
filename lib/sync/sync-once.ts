// One sync: observe the kernel, plan the diff to the desired state, apply it. Two kinds:
// - syncOnce, full: reads every virtual server, address, set and table (the first sync, a
//   periodic resync, any sync after a failure) and repairs whatever differs;
// - syncChanges: after a fully successful sync the kernel holds the desired state as it was
//   then, so only what changed since (and real servers still draining) is read back and planned.
import type { Logger } from '../log.js';
import type { DesiredState, FamilyRules } from '../model/desired-state.js';
import type { DesiredAggregate, StateChanges } from '../model/aggregate.js';
import type { Operation } from '../plan/operations.js';
import { tableKey, type ObservedState } from '../plan/observed-state.js';
import { vsKey, type VirtualServer } from '../kernel/ipvs/types.js';
import { plan, type PlanOptions } from '../plan/plan.js';
import { DEFAULT_GRACEFUL_TERMINATION_MS, drainKeyVs } from '../plan/graceful-termination.js';
import { applyPlan, type ApplyResult } from './apply.js';
import type { Kernel } from './kernel.js';
import { observe } from './observe.js';

export interface SyncOutcome {
  readonly operations: readonly Operation[];
  readonly result: ApplyResult;
  /** milliseconds spent reading the kernel, planning, and applying */
  readonly ms: { readonly observe: number; readonly plan: number; readonly apply: number };
  /** each kernel read of the observe phase, in ms (they run at the same time) */
  readonly readMs: Readonly<Record<string, number>>;
  /** the virtual servers a change sync planned (read back and maybe written) */
  readonly planned?: readonly VirtualServer[];
}

/** What one sync tells the next. */
export class SyncMemory {
  /** the last sync fully succeeded: the kernel holds the desired state as of then */
  valid = false;
  /** "4/nat" -> the rules that table was verified or written to hold (only the proxy writes its chains) */
  readonly tables = new Map<string, string>();
  /** graceful termination: real servers draining since, and those listed as terminating */
  draining = new Map<string, number>();
  terminating = new Set<string>();

  constructor(readonly gracefulTerminationMs = DEFAULT_GRACEFUL_TERMINATION_MS, readonly now: () => number = Date.now) {}

  /** Forget what was written (the next sync reads the kernel); drain times are kept. */
  forget(): void { this.valid = false; this.tables.clear(); }
}

/**
 * A full sync: everything read back (or `read`, what the kernel holds now as a resync read it
 * beside other syncs), everything planned. An abort of `signal` ends its apply early (applyPlan).
 */
export async function syncOnce(kernel: Kernel, desired: DesiredState, opts: PlanOptions, log: Logger, memory?: SyncMemory, read?: ObservedState, signal?: AbortSignal): Promise<SyncOutcome> {
  const clock = stopwatch();
  const verified = memory ? verifiedTables(memory, desired.iptables) : new Set<string>();
  const readMs: Record<string, number> = {};
  const observed = read ?? await observe(kernel, desired.families, { verifiedTables: verified, readMs });
  const observeMs = clock();
  const drain = memory ? drainState(memory) : opts.drain;
  const p = plan(desired, observed, { ...opts, drain });
  const planMs = clock();
  const result = await applyPlan(p.operations, kernel, log, signal);
  if (memory) remember(memory, p, result, desired.iptables);
  return { operations: p.operations, result, ms: { observe: observeMs, plan: planMs, apply: clock() }, readMs };
}

/**
 * A sync of what changed since the last (fully successful) sync: the changed virtual servers and
 * those with real servers draining are read back; set members and addresses are taken as the
 * last sync left them. Requires memory.valid.
 */
export async function syncChanges(kernel: Kernel, model: DesiredAggregate, changes: StateChanges, opts: PlanOptions, log: Logger, memory: SyncMemory, signal?: AbortSignal): Promise<SyncOutcome> {
  if (!memory.valid) throw new Error('syncChanges needs the memory of a successful sync');
  const clock = stopwatch();
  const draining = new Set([...memory.draining.keys()].map(drainKeyVs));
  const { desired, before } = model.restrict(changes, draining);
  const verified = verifiedTables(memory, desired.iptables);
  const readMs: Record<string, number> = {};
  const observed = await observe(kernel, desired.families, {
    onlyVirtualServers: before.virtualServers, knownSets: before.sets, knownAddresses: before.addresses, verifiedTables: verified, readMs,
  });
  const observeMs = clock();
  const created = new Set(before.virtualServers.map(vsKey));
  const planned = new Set([...created, ...desired.virtualServers.map((d) => vsKey(d.vs))]);
  const p = plan(desired, { ...observed, created }, { ...opts, drain: drainState(memory), restricted: true });
  // the drain records of virtual servers not planned this time stay as they were
  for (const [k, v] of memory.draining) if (!planned.has(drainKeyVs(k))) p.draining.set(k, v);
  for (const k of memory.terminating) if (!planned.has(drainKeyVs(k))) p.terminating.add(k);
  const planMs = clock();
  const result = await applyPlan(p.operations, kernel, log, signal);
  remember(memory, p, result, desired.iptables);
  return { operations: p.operations, result, ms: { observe: observeMs, plan: planMs, apply: clock() }, readMs, planned: [...before.virtualServers, ...desired.virtualServers.map((d) => d.vs)] };
}

function verifiedTables(memory: SyncMemory, iptables: readonly FamilyRules[]): Set<string> {
  const verified = new Set<string>();
  for (const f of iptables) {
    for (const t of f.tables) if (memory.tables.get(tableKey(f.family, t.table)) === t.rules.join('\n')) verified.add(tableKey(f.family, t.table));
  }
  return verified;
}

/** Milliseconds since the last call (or since it was made). */
function stopwatch(): () => number {
  let t = performance.now();
  return () => { const now = performance.now(); const d = Math.round(now - t); t = now; return d; };
}

const drainState = (m: SyncMemory) => ({ now: m.now(), timeoutMs: m.gracefulTerminationMs, since: m.draining, wasTerminating: m.terminating });

function remember(memory: SyncMemory, p: { draining: Map<string, number>; terminating: Set<string> }, result: ApplyResult, iptables: readonly FamilyRules[]): void {
  memory.draining = p.draining;
  memory.terminating = p.terminating;
  memory.forget();
  if (result.failed.length > 0 || result.skipped > 0) return;
  memory.valid = true;
  for (const f of iptables) for (const t of f.tables) memory.tables.set(tableKey(f.family, t.table), t.rules.join('\n'));
}
