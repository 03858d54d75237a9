// `ipvs-proxy cleanup`: a plan towards an empty state, carried out by the sync's own apply. It
// removes what Kubernetes service proxying left on a node (ours, or kube-proxy IPVS mode's,
// which uses the same names): its virtual servers, the jump rules and KUBE-* chains it owns, its
// KUBE-* sets and kube-ipvs0. Unlike upstream's cleanup (which flushes all of IPVS), a virtual
// server is removed only when it is attributable to service proxying and outside
// --exclude-cidrs: other IPVS users on the node are left alone.
import type { IpFamily } from '../net/address.js';
import type { VirtualServerKey } from '../kernel/ipvs/types.js';
import { KUBE_IPVS0 } from '../kernel/links/types.js';
import { TEMP_SET } from '../kernel/ipset/types.js';
import { jumpRuleText } from '../kernel/iptables/save-text.js';
import { allKubeSetNames } from '../model/kube-sets.js';
import { JUMP_RULES, OWNED_CHAINS } from '../model/skeleton.js';
import type { ObservedState } from '../plan/observed-state.js';
import { describe, operationCount, type Operation } from '../plan/operations.js';
import { ownership } from '../plan/ownership.js';
import { removalWrite } from '../plan/table-writes.js';
import { applyPlan } from '../sync/apply.js';
import type { Kernel } from '../sync/kernel.js';
import { observe } from '../sync/observe.js';
import type { Logger } from '../log.js';

export interface CleanupPlan {
  /** virtual servers first (traffic stops being balanced), then rules, then the sets they used, then the link */
  readonly operations: readonly Operation[];
  /** virtual servers left alone (not attributable, or excluded) */
  readonly kept: readonly VirtualServerKey[];
}

export async function planCleanup(kernel: Kernel, families: readonly IpFamily[], excludeCidrs: readonly string[]): Promise<CleanupPlan> {
  return cleanupPlan(await observe(kernel, families), excludeCidrs);
}

/** The operations that leave none of service proxying's state in the observed kernel. */
export function cleanupPlan(observed: ObservedState, excludeCidrs: readonly string[]): CleanupPlan {
  const owner = ownership(observed, excludeCidrs);
  const vss = observed.virtualServers.map((o) => o.vs);
  const operations: Operation[] = vss.filter((v) => owner.owns(v)).map((vs) => ({ kind: 'delete-virtual-server', vs }));
  for (const { family, table, saved } of observed.iptables) {
    const write = removalWrite(table, JUMP_RULES, OWNED_CHAINS[table], saved);
    if (write) operations.push({ kind: 'iptables-restore', family, write });
  }
  const kube = new Set([...allKubeSetNames(), TEMP_SET]);
  const sets = [...observed.sets.keys()].filter((n) => kube.has(n)).sort();
  if (sets.length > 0) operations.push({ kind: 'ipset-restore', phase: 'remove', changes: sets.map((set) => ({ op: 'destroy', set })) });
  if (observed.link.exists) operations.push({ kind: 'delete-link', link: KUBE_IPVS0 });
  return { operations, kept: vss.filter((v) => !owner.owns(v)) };
}

/** One line per object the plan removes. */
export function describeCleanup(p: CleanupPlan): string[] {
  return p.operations.flatMap(removedBy);
}

function removedBy(op: Operation): string[] {
  const fam = (f: IpFamily) => (f === 4 ? 'IPv4' : 'IPv6');
  switch (op.kind) {
    case 'iptables-restore': return [
      ...op.write.deleteJumps.map((j) => `delete ${fam(op.family)} ${op.write.table} rule ${jumpRuleText(j).replace(/^-A /, '')}`),
      ...op.write.deleteChains.map((c) => `delete ${fam(op.family)} ${op.write.table} chain ${c}`),
    ];
    case 'ipset-restore': return op.changes.map((c) => `destroy set ${c.set}`);
    default: return [describe(op)];
  }
}

export interface CleanupResult {
  readonly removed: number;
  readonly failed: ReadonlyArray<{ readonly what: string; readonly error: string }>;
  /** objects not attempted after a failed rule or set write (later removals depend on it) */
  readonly skipped: number;
}

export async function applyCleanup(kernel: Kernel, p: CleanupPlan, log: Logger): Promise<CleanupResult> {
  const r = await applyPlan(p.operations, kernel, log);
  const failedOps = new Set(r.failed.map((f) => f.op));
  // applyPlan stops after a failed critical operation: the objects of the rest were not attempted
  let skipped = 0;
  let removed = 0;
  let left = operationCount(p.operations) - r.skipped;
  for (const op of p.operations) {
    const n = removedBy(op).length;
    if (left <= 0) skipped += n;
    else if (!failedOps.has(op)) removed += n;
    left -= operationCount([op]);
  }
  return { removed, skipped, failed: r.failed.map((f) => ({ what: describe(f.op), error: f.error.message })) };
}
