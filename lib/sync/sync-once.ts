// One sync: observe the kernel, plan the diff to the desired state, apply it.
import type { Logger } from '../log.js';
import type { DesiredState } from '../model/desired-state.js';
import type { Operation } from '../plan/operations.js';
import { tableKey } from '../plan/observed-state.js';
import type { SetState } from '../kernel/ipset/types.js';
import { DEFAULT_GRACEFUL_TERMINATION_MS, plan, type PlanOptions } from '../plan/plan.js';
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

  constructor(readonly gracefulTerminationMs = DEFAULT_GRACEFUL_TERMINATION_MS, readonly now: () => number = Date.now) {}

  /** Forget what was written (the next sync reads the kernel); drain times are kept. */
  forget(): void { this.sets = undefined; this.tables.clear(); }
}

export async function syncOnce(kernel: Kernel, desired: DesiredState, opts: PlanOptions, log: Logger, memory?: SyncMemory): Promise<SyncOutcome> {
  const verified = new Set<string>();
  for (const f of desired.iptables) {
    for (const t of f.tables) if (memory?.tables.get(tableKey(f.family, t.table)) === t.rules.join('\n')) verified.add(tableKey(f.family, t.table));
  }
  const observed = await observe(kernel, desired.families, { knownSets: memory?.sets, verifiedTables: verified });
  const drain = memory ? { now: memory.now(), timeoutMs: memory.gracefulTerminationMs, since: memory.draining, wasTerminating: memory.terminating } : opts.drain;
  const { operations, draining, terminating } = plan(desired, observed, { ...opts, drain });
  const result = await applyPlan(operations, kernel, log);
  if (memory) {
    memory.draining = draining;
    memory.terminating = terminating;
    memory.forget();
    if (result.failed.length === 0 && result.skipped === 0) {
      memory.sets = new Map(desired.sets.map((s) => [s.name, s]));
      for (const f of desired.iptables) for (const t of f.tables) memory.tables.set(tableKey(f.family, t.table), t.rules.join('\n'));
    }
  }
  return { operations, result };
}
