// Carrying out a plan, operation by operation. A failed virtual server, real server or address
// is recorded and the rest goes on (one broken Service must not hold up the others); a failed
// set or iptables write stops the plan, so nothing is removed before the new rules are in.
// Errors that mean "already done" (EEXIST on add, ESRCH/ENOENT on delete) count as success.
import { isKernelError, type KernelError } from '../kernel/errors.js';
import type { Logger } from '../log.js';
import { describe, isCritical, type Operation, type OperationKind } from '../plan/operations.js';
import type { Kernel } from './kernel.js';

export interface ApplyResult {
  readonly applied: number;
  readonly failed: ReadonlyArray<{ readonly op: Operation; readonly error: Error }>;
  /** operations not attempted because a critical one failed */
  readonly skipped: number;
  /** operations by kind, for metrics */
  readonly byKind: ReadonlyMap<OperationKind, { ok: number; failed: number }>;
}

const ALREADY_DONE: Partial<Record<OperationKind, readonly string[]>> = {
  'add-virtual-server': ['EEXIST'],
  'add-real-server': ['EEXIST'],
  'bind-address': ['EEXIST'],
  'unbind-address': ['EADDRNOTAVAIL', 'ENODEV'],
  'delete-virtual-server': ['ESRCH'],
  'delete-real-server': ['ENOENT', 'ESRCH'],
};

export async function applyPlan(ops: readonly Operation[], kernel: Kernel, log: Logger): Promise<ApplyResult> {
  let applied = 0;
  const failed: Array<{ op: Operation; error: Error }> = [];
  const byKind = new Map<OperationKind, { ok: number; failed: number }>();
  const count = (k: OperationKind, ok: boolean) => {
    const c = byKind.get(k) ?? { ok: 0, failed: 0 };
    if (ok) c.ok++; else c.failed++;
    byKind.set(k, c);
  };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const service = 'service' in op && op.service ? { service: op.service } : {};
    try {
      await run(op, kernel);
      applied++;
      count(op.kind, true);
      log.debug({ ...service, op: op.kind }, describe(op));
    } catch (e) {
      if (isKernelError(e) && ALREADY_DONE[op.kind]?.includes((e as KernelError).code)) {
        applied++;
        count(op.kind, true);
        continue;
      }
      const error = e instanceof Error ? e : new Error(String(e));
      failed.push({ op, error });
      count(op.kind, false);
      log.error({ ...service, op: op.kind, err: error.message }, `failed: ${describe(op)}`);
      if (isCritical(op)) {
        log.warn({ skipped: ops.length - i - 1 }, 'stopping this sync: later operations depend on the failed one');
        return { applied, failed, skipped: ops.length - i - 1, byKind };
      }
    }
  }
  return { applied, failed, skipped: 0, byKind };
}

async function run(op: Operation, k: Kernel): Promise<void> {
  switch (op.kind) {
    case 'ensure-link': await k.links.ensureDummyLink(op.link); return;
    case 'add-virtual-server': return k.ipvs.addVirtualServer(op.vs);
    case 'update-virtual-server': return k.ipvs.updateVirtualServer(op.vs);
    case 'delete-virtual-server': return k.ipvs.deleteVirtualServer(op.vs);
    case 'add-real-server': return k.ipvs.addRealServer(op.vs, op.rs);
    case 'update-real-server': return k.ipvs.updateRealServer(op.vs, op.rs);
    case 'delete-real-server': return k.ipvs.deleteRealServer(op.vs, op.rs);
    case 'bind-address': return k.links.addAddress(op.link, op.address);
    case 'unbind-address': return k.links.deleteAddress(op.link, op.address);
    case 'ipset-restore': return k.ipsets.restore(op.script);
    case 'iptables-restore': return k.iptables.restore(op.family, op.table, op.input);
    case 'delete-conntrack': await k.conntrack?.deleteFlows(op.filter); return;
  }
}
