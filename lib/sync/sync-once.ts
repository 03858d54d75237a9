// One sync: observe the kernel, plan the diff to the desired state, apply it.
import type { Logger } from '../log.js';
import type { DesiredState } from '../model/desired-state.js';
import type { Operation } from '../plan/operations.js';
import { planSync, type PlanOptions } from '../plan/plan.js';
import { applyPlan, type ApplyResult } from './apply.js';
import type { Kernel } from './kernel.js';
import { observe } from './observe.js';

export interface SyncOutcome {
  readonly operations: readonly Operation[];
  readonly result: ApplyResult;
}

export async function syncOnce(kernel: Kernel, desired: DesiredState, opts: PlanOptions, log: Logger): Promise<SyncOutcome> {
  const observed = await observe(kernel, desired.families);
  const operations = planSync(desired, observed, opts);
  return { operations, result: await applyPlan(operations, kernel, log) };
}
