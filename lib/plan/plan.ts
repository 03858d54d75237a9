// The plan: a pure diff of the desired state against the observed kernel state, as an ordered
// list of operations. Order: the link, set additions, virtual and real servers, address binds,
// the iptables skeleton; then, only if all that went in, the removals: unbinds, stale real and
// virtual servers, set removals. Virtual servers not attributable to us are never touched.
import { KUBE_IPVS0 } from '../kernel/links/types.js';
import { rsKey, sameVirtualServer, vsKey, type RealServer, type RealServerStatuses } from '../kernel/ipvs/types.js';
import type { RealServerList } from '../model/real-server-list.js';
import { addToSets, syncSets } from './set-changes.js';
import { inSaveOrder, jumpRuleText, ownedRulesOf } from '../kernel/iptables/save-text.js';
import { skeletonWrite } from './table-writes.js';
import type { TableRules } from '../kernel/iptables/types.js';
import type { DesiredState } from '../model/desired-state.js';
import { tableKey, type ObservedState } from './observed-state.js';
import type { Operation } from './operations.js';
import { ownership } from './ownership.js';
import { drainKey, retireRealServer, type DrainState } from './graceful-termination.js';

export interface PlanOptions {
  /** --ipvs-exclude-cidrs: virtual servers there are never changed or deleted */
  readonly excludeCidrs: readonly string[];
  /** graceful termination's memory between syncs */
  readonly drain?: DrainState;
  /** desired and observed hold only the keys that changed (see DesiredAggregate.restrict): sets are patched, never rebuilt */
  readonly restricted?: boolean;
}

export interface Plan {
  readonly operations: Operation[];
  /** real servers draining after this plan, with the time they started */
  readonly draining: Map<string, number>;
  /** real servers listed as terminating in the desired state */
  readonly terminating: Set<string>;
}

export function planSync(desired: DesiredState, observed: ObservedState, opts: PlanOptions): Operation[] {
  return plan(desired, observed, opts).operations;
}

export function plan(desired: DesiredState, observed: ObservedState, opts: PlanOptions): Plan {
  const draining = new Map<string, number>();
  const terminatingAll = new Set<string>();
  let ops: Operation[] = [];
  const removals: Operation[] = [];
  const owner = ownership(observed, opts.excludeCidrs);

  if (!observed.link.exists) ops.push({ kind: 'ensure-link', link: KUBE_IPVS0 });

  const adds = addToSets(desired.sets, observed.sets);
  if (adds.changes.length > 0) ops.push({ kind: 'ipset-restore', phase: 'add', changes: adds.changes });

  const have = new Map(observed.virtualServers.map((o) => [vsKey(o.vs), o]));
  // Virtual servers first, then real servers: each group runs as one batch (many requests in flight).
  const vsOps: Operation[] = [];
  const rsOps: Operation[] = [];
  const afterRs: Operation[] = [];
  const wantVs = new Set<string>();
  for (const d of desired.virtualServers) {
    const key = vsKey(d.vs);
    wantVs.add(key);
    const cur = have.get(key);
    const service = d.service;
    if (!cur) {
      vsOps.push({ kind: 'add-virtual-server', vs: d.vs, service });
      if (d.realServers.length > 0) rsOps.push({ kind: 'add-real-servers', vs: d.vs, realServers: d.realServers, service });
      continue;
    }
    if (!sameVirtualServer(cur.vs, d.vs)) vsOps.push({ kind: 'update-virtual-server', vs: d.vs, service });
    for (const t of d.terminating) terminatingAll.add(drainKey(d.vs, t));
    // The usual case of a resync, decided on keys alone: the lists are kept packed.
    if (realServersUnchanged(cur.realServers, d.realServers)) continue;
    // made once here
    const wanted = [...d.realServers];
    const observed = [...cur.realServers];
    const curRs = new Map(observed.map((r) => [rsKey(r), r]));
    const want = new Set(d.realServers.keys());
    for (const rs of wanted) {
      const c = curRs.get(rsKey(rs));
      if (!c) rsOps.push({ kind: 'add-real-server', vs: d.vs, rs, service });
      else if (!sameRealServer(c, rs)) rsOps.push({ kind: 'update-real-server', vs: d.vs, rs, service, reason: c.weight === 0 ? 'ready again' : 'changed' });
    }
    const terminating = new Set(d.terminating.map(rsKey));
    for (const c of observed) {
      if (want.has(rsKey(c))) continue;
      const r = retireRealServer(d.vs, c, terminating.has(rsKey(c)), service, opts.drain);
      for (const op of r.operations) removals.push(op);
      if (r.drainingSince !== undefined) draining.set(drainKey(d.vs, c), r.drainingSince);
    }
    // A UDP/SCTP virtual server that had no real server gets its first ones: flows created
    // meanwhile point nowhere and would stay stuck (#105192).
    if (d.vs.protocol !== 'tcp' && observed.length === 0 && wanted.length > 0) {
      afterRs.push({ kind: 'delete-conntrack', filter: { protocol: d.vs.protocol, vip: d.vs.address, vport: d.vs.port }, service });
    }
  }
  // (concat, not push(...): a cold sync has hundreds of thousands of operations)
  ops = ops.concat(vsOps, rsOps, afterRs);

  const bound = new Set(observed.link.addresses);
  for (const a of desired.boundAddresses) if (!bound.has(a)) ops.push({ kind: 'bind-address', link: KUBE_IPVS0, address: a });

  for (const fam of desired.iptables) {
    for (const t of fam.tables) {
      if (observed.verifiedTables?.has(tableKey(fam.family, t.table))) continue;
      const saved = observed.iptables.find((s) => s.family === fam.family && s.table === t.table)?.saved ?? '';
      if (!tableUpToDate(t, saved)) ops.push({ kind: 'iptables-restore', family: fam.family, write: skeletonWrite(t, saved) });
    }
  }

  const wantBound = new Set(desired.boundAddresses);
  for (const a of observed.link.addresses) if (!wantBound.has(a)) removals.push({ kind: 'unbind-address', link: KUBE_IPVS0, address: a });
  for (const [key, o] of have) {
    if (!wantVs.has(key) && owner.owns(o.vs)) removals.push({ kind: 'delete-virtual-server', vs: o.vs });
  }

  const removeChanges = syncSets(desired.sets, adds.after, { patchOnly: opts.restricted }).changes;
  if (removeChanges.length > 0) removals.push({ kind: 'ipset-restore', phase: 'remove', changes: removeChanges });
  return { operations: ops.concat(removals), draining, terminating: terminatingAll };
}

/** The kernel holds exactly the wanted real servers, each masqueraded at weight 1 with no thresholds (as the model wants them all). */
export function realServersUnchanged(have: RealServerStatuses, want: RealServerList): boolean {
  if (have.length !== want.length) return false;
  const keys = have.plainKeys();
  if (!keys) return false;
  const wanted = new Set(want.keys());
  return keys.every((k) => wanted.has(k));
}

function sameRealServer(a: RealServer, b: RealServer): boolean {
  return a.weight === b.weight && a.forward === b.forward && a.upperThreshold === b.upperThreshold && a.lowerThreshold === b.lowerThreshold;
}

/** The owned chains exist with exactly the desired rules, and every jump rule is present. */
export function tableUpToDate(t: TableRules, saved: string): boolean {
  if (saved === '') return false;
  const lines = new Set(saved.split('\n').map((l) => l.trim()));
  if (!t.chains.every((c) => [...lines].some((l) => l.startsWith(`:${c} `)))) return false;
  if (!t.jumps.every((j) => lines.has(jumpRuleText(j)))) return false;
  const have = ownedRulesOf(saved, t.chains);
  const want = inSaveOrder(t.rules);
  return have.length === want.length && have.every((l, i) => l === want[i]);
}
