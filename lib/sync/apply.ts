// Carrying out a plan, operation by operation. A failed virtual server, real server or address
// is recorded and the rest goes on (one broken Service must not hold up the others); a failed
// set or iptables write stops the plan, so nothing is removed before the new rules are in.
// Errors that mean "already done" (EEXIST on add, ESRCH/ENOENT on delete) count as success.
// An abort (the proxy stopping) ends the plan after the requests in flight: a pod's grace period
// is shorter than a large first sync, and the next start adopts what is there and adds the rest.
import { isKernelError, type KernelError } from '../kernel/errors.js';
import type { Logger } from '../log.js';
import { describe, isCritical, operationCount, type Operation, type OperationKind, type SingleOperation } from '../plan/operations.js';
import type { Kernel } from './kernel.js';

export interface ApplyResult {
  readonly applied: number;
  readonly failed: ReadonlyArray<{ readonly op: Operation; readonly error: Error }>;
  /** operations not attempted because a critical one failed */
  readonly skipped: number;
  /** operations by kind, for metrics */
  readonly byKind: ReadonlyMap<OperationKind, { ok: number; failed: number }>;
  /** wall time spent on each kind of operation, in ms (where a cold sync's apply goes) */
  readonly msByKind: Readonly<Record<string, number>>;
}

const ALREADY_DONE: Partial<Record<OperationKind, readonly string[]>> = {
  'add-virtual-server': ['EEXIST'],
  'add-real-server': ['EEXIST'],
  'bind-address': ['EEXIST'],
  'unbind-address': ['EADDRNOTAVAIL', 'ENODEV'],
  'delete-link': ['ENODEV'],
  'delete-virtual-server': ['ESRCH'],
  'delete-real-server': ['ENOENT', 'ESRCH'],
};

/** Kinds whose operations are independent of each other within a run of the same kind. */
const BATCHED: ReadonlySet<OperationKind> = new Set(['add-virtual-server', 'update-virtual-server', 'delete-virtual-server',
  'add-real-server', 'update-real-server', 'delete-real-server', 'bind-address', 'unbind-address']);
/** Requests in flight per batch (the netlink channel bounds its own queue as well). */
const BATCH = 64;

export async function applyPlan(ops: readonly Operation[], kernel: Kernel, log: Logger, signal?: AbortSignal): Promise<ApplyResult> {
  let applied = 0;
  const failed: Array<{ op: Operation; error: Error }> = [];
  const byKind = new Map<OperationKind, { ok: number; failed: number }>();
  const count = (k: OperationKind, ok: boolean) => {
    const c = byKind.get(k) ?? { ok: 0, failed: 0 };
    if (ok) c.ok++; else c.failed++;
    byKind.set(k, c);
  };
  /** One operation; resolves false when it failed. */
  const one = async (op: SingleOperation): Promise<boolean> => {
    const service = 'service' in op && op.service ? { service: op.service } : {};
    try {
      await run(op, kernel);
      applied++;
      count(op.kind, true);
      if (log.debug()) log.debug({ ...service, op: op.kind }, describe(op));
      return true;
    } catch (e) {
      if (isKernelError(e) && ALREADY_DONE[op.kind]?.includes((e as KernelError).code)) {
        applied++;
        count(op.kind, true);
        return true;
      }
      const error = e instanceof Error ? e : new Error(String(e));
      failed.push({ op, error });
      count(op.kind, false);
      log.error({ ...service, op: op.kind, err: error.message }, `failed: ${describe(op)}`);
      return false;
    }
  };
  const msByKind: Record<string, number> = {};
  let since = performance.now();
  const spent = (kind: string) => { const now = performance.now(); msByKind[kind] = Math.round((msByKind[kind] ?? 0) + now - since); since = now; };
  const interrupted = (skipped: number): ApplyResult => {
    log.warn({ skipped }, 'stopping this sync: the proxy is stopping');
    return { applied, failed, skipped, byKind, msByKind };
  };
  let i = 0;
  while (i < ops.length) {
    if (signal?.aborted) return interrupted(operationCount(ops.slice(i)));
    const op = ops[i]!;
    const batch = batchOf(op.kind);
    if (batch) {
      // A run of one kind: up to BATCH requests in flight, so a sync of thousands of virtual
      // servers is not thousands of round trips in a row. Lists of real servers become one
      // operation each only as their turn comes.
      let end = i;
      while (end < ops.length && batchOf(ops[end]!.kind) === batch) end++;
      let chunk: SingleOperation[] = [];
      let done = 0;
      for (const single of expand(ops, i, end)) {
        chunk.push(single);
        if (chunk.length === BATCH) {
          await Promise.all(chunk.map(one));
          done += chunk.length;
          chunk = [];
          if (signal?.aborted) return interrupted(operationCount(ops.slice(i)) - done);
        }
      }
      if (chunk.length > 0) await Promise.all(chunk.map(one));
      spent(batch);
      i = end;
      continue;
    }
    const ok = await one(op as SingleOperation); // not batched: not a list of real servers
    spent(op.kind);
    i++;
    if (!ok && isCritical(op)) {
      const skipped = operationCount(ops.slice(i));
      log.warn({ skipped }, 'stopping this sync: later operations depend on the failed one');
      return { applied, failed, skipped, byKind, msByKind };
    }
  }
  return { applied, failed, skipped: 0, byKind, msByKind };
}

/** The kind a run of batched operations is grouped by (a list of real servers adds real servers). */
function batchOf(kind: OperationKind): OperationKind | undefined {
  if (kind === 'add-real-servers') return 'add-real-server';
  return BATCHED.has(kind) ? kind : undefined;
}

/** ops[from, to) with every add-real-servers made into one add-real-server per real server. */
function* expand(ops: readonly Operation[], from: number, to: number): Generator<SingleOperation> {
  for (let i = from; i < to; i++) {
    const op = ops[i]!;
    if (op.kind !== 'add-real-servers') { yield op; continue; }
    for (const rs of op.realServers) yield { kind: 'add-real-server', vs: op.vs, rs, service: op.service };
  }
}

async function run(op: SingleOperation, k: Kernel): Promise<void> {
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
    case 'delete-link': return k.links.deleteLink(op.link);
    case 'ipset-restore': return k.ipsets.apply(op.changes);
    case 'iptables-restore': return k.iptables.write(op.family, op.write);
    case 'delete-conntrack': await k.conntrack?.deleteFlows(op.filter); return;
  }
}
