// The plan: a pure diff of the desired state against the observed kernel state, as an ordered
// list of operations. Order: the link, set additions, virtual and real servers, address binds,
// the iptables skeleton; then, only if all that went in, the removals: unbinds, stale real and
// virtual servers, set removals. Virtual servers not attributable to us are never touched.
import { KUBE_IPVS0 } from '../kernel/links/types.js';
import { rsKey, sameVirtualServer, vsKey, type RealServer, type RealServerStatus } from '../kernel/ipvs/types.js';
import { buildAddScript, buildSyncScript } from '../kernel/ipset/restore-script.js';
import { JUMP_RULES, inSaveOrder, jumpRuleText, ownedRulesOf, restoreInput } from '../kernel/iptables/skeleton.js';
import type { TableRules } from '../kernel/iptables/types.js';
import type { DesiredState } from '../model/desired-state.js';
import { tableKey, type ObservedState } from './observed-state.js';
import type { Operation } from './operations.js';
import { ownership } from './ownership.js';

export interface PlanOptions {
  /** --ipvs-exclude-cidrs: virtual servers there are never changed or deleted */
  readonly excludeCidrs: readonly string[];
  /** rebuild every set through a swap (periodic full resync) */
  readonly rebuildSets?: boolean;
}

export function planSync(desired: DesiredState, observed: ObservedState, opts: PlanOptions): Operation[] {
  const ops: Operation[] = [];
  const removals: Operation[] = [];
  const owner = ownership(observed, opts.excludeCidrs);

  if (!observed.link.exists) ops.push({ kind: 'ensure-link', link: KUBE_IPVS0 });

  const adds = buildAddScript(desired.sets, observed.sets);
  if (adds.script) ops.push({ kind: 'ipset-restore', phase: 'add', script: adds.script });

  const have = new Map(observed.virtualServers.map((o) => [vsKey(o.vs), o]));
  for (const d of desired.virtualServers) {
    const cur = have.get(vsKey(d.vs));
    const service = d.service;
    if (!cur) {
      ops.push({ kind: 'add-virtual-server', vs: d.vs, service });
      for (const rs of d.realServers) ops.push({ kind: 'add-real-server', vs: d.vs, rs, service });
      continue;
    }
    if (!sameVirtualServer(cur.vs, d.vs)) ops.push({ kind: 'update-virtual-server', vs: d.vs, service });
    const curRs = new Map(cur.realServers.map((r) => [rsKey(r), r]));
    const want = new Set(d.realServers.map(rsKey));
    for (const rs of d.realServers) {
      const c = curRs.get(rsKey(rs));
      if (!c) ops.push({ kind: 'add-real-server', vs: d.vs, rs, service });
      else if (!sameRealServer(c, rs)) ops.push({ kind: 'update-real-server', vs: d.vs, rs, service, reason: c.weight === 0 ? 'ready again' : 'changed' });
    }
    for (const c of cur.realServers) {
      if (want.has(rsKey(c))) continue;
      // TCP: stop new connections and let the open ones finish (weight 0), delete once drained.
      // UDP and SCTP: delete at once; expire_nodest_conn ends their flows (#71514).
      if (d.vs.protocol === 'tcp' && c.activeConnections + c.inactiveConnections > 0) {
        if (c.weight !== 0) removals.push({ kind: 'update-real-server', vs: d.vs, rs: { ...strip(c), weight: 0 }, service, reason: 'draining' });
      } else {
        removals.push({ kind: 'delete-real-server', vs: d.vs, rs: c, service });
      }
    }
  }

  const bound = new Set(observed.link.addresses);
  for (const a of desired.boundAddresses) if (!bound.has(a)) ops.push({ kind: 'bind-address', link: KUBE_IPVS0, address: a });

  for (const fam of desired.iptables) {
    for (const t of fam.tables) {
      if (observed.verifiedTables?.has(tableKey(fam.family, t.table))) continue;
      const saved = observed.iptables.find((s) => s.family === fam.family && s.table === t.table)?.saved ?? '';
      if (!upToDate(t, saved)) ops.push({ kind: 'iptables-restore', family: fam.family, table: t.table, input: restoreInput(t, saved) });
    }
  }

  const wantBound = new Set(desired.boundAddresses);
  for (const a of observed.link.addresses) if (!wantBound.has(a)) removals.push({ kind: 'unbind-address', link: KUBE_IPVS0, address: a });
  const wantVs = new Set(desired.virtualServers.map((d) => vsKey(d.vs)));
  for (const o of observed.virtualServers) {
    if (!wantVs.has(vsKey(o.vs)) && owner.owns(o.vs)) removals.push({ kind: 'delete-virtual-server', vs: o.vs });
  }

  const removeScript = buildSyncScript(desired.sets, adds.after, { rebuildAll: opts.rebuildSets }).script;
  if (removeScript) removals.push({ kind: 'ipset-restore', phase: 'remove', script: removeScript });
  return [...ops, ...removals];
}

function sameRealServer(a: RealServer, b: RealServer): boolean {
  return a.weight === b.weight && a.forward === b.forward && a.upperThreshold === b.upperThreshold && a.lowerThreshold === b.lowerThreshold;
}

const strip = (r: RealServerStatus): RealServer => ({
  address: r.address, port: r.port, weight: r.weight, forward: r.forward, upperThreshold: r.upperThreshold, lowerThreshold: r.lowerThreshold,
});

/** The owned chains exist with exactly the desired rules, and every jump rule is present. */
function upToDate(t: TableRules, saved: string): boolean {
  if (saved === '') return false;
  const lines = new Set(saved.split('\n').map((l) => l.trim()));
  if (!t.chains.every((c) => [...lines].some((l) => l.startsWith(`:${c} `)))) return false;
  if (!JUMP_RULES.every((j) => j.table !== t.table || lines.has(jumpRuleText(j)))) return false;
  const have = ownedRulesOf(saved, t.table);
  const want = inSaveOrder(t.rules);
  return have.length === want.length && have.every((l, i) => l === want[i]);
}
