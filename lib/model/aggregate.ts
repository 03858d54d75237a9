// The node's desired state as the sum of per-Service shares, kept up to date one share at a time
// (reference counts for set members and bound addresses, claimants for each virtual server),
// with a record of what changed since it was last asked: a sync after one endpoint change then
// costs the change, not the cluster. No I/O.
import { ipFamily } from '../net/address.js';
import { vsKey, type VirtualServer } from '../kernel/ipvs/types.js';
import { KUBE_SETS, kubeSetName, kubeSetSpec, type KubeSetId } from './kube-sets.js';
import type { SetSpec, SetState } from '../kernel/ipset/types.js';
import { notLocalMatches, skeletonRules } from './skeleton.js';
import type { DesiredState, DesiredVirtualServer, FamilyRules, HealthCheck, Problem, ServiceSummary } from './desired-state.js';
import type { ServiceState } from './service-state.js';
import type { ModelConfig } from './config.js';
import { serviceId, splitServiceId } from './service.js';

/** What one Service (or one group of objects) contributes: its state if programmed, and its problems. */
export interface Share {
  readonly state?: ServiceState;
  readonly problems: readonly Problem[];
}

/** The model settings the aggregate needs. */
export type AggregateConfig = Pick<ModelConfig, 'families' | 'masqueradeAll' | 'clusterCidrs' | 'masqueradeBit' | 'randomFully' | 'detectLocal'>;

/** What changed since the last takeChanges(), each with how it was then. */
export interface StateChanges {
  /** vsKey -> the virtual server as it was (undefined: there was none) */
  readonly virtualServers: ReadonlyMap<string, { readonly vs: VirtualServer } | undefined>;
  /** set name -> member -> whether it was a member */
  readonly members: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
  /** address -> whether it was bound */
  readonly bound: ReadonlyMap<string, boolean>;
}

/** The desired state restricted to some keys, and what the kernel held of them after the last sync. */
export interface Restriction {
  readonly desired: DesiredState;
  readonly before: {
    readonly virtualServers: readonly VirtualServer[];
    readonly addresses: readonly string[];
    readonly sets: ReadonlyMap<string, SetState>;
  };
}

export class DesiredAggregate {
  private readonly shares = new Map<string, Share>();
  /**
   * vsKey -> the Services' virtual servers claiming it, in Service name order: the first is
   * programmed. Nearly always one, kept as itself (an array per key costs memory at scale); an
   * array only while two ports claim one key.
   */
  private readonly claims = new Map<string, DesiredVirtualServer | readonly DesiredVirtualServer[]>();
  private readonly members = new Map<string, Map<string, number>>();
  private readonly specs = new Map<string, SetSpec>();
  private readonly bound = new Map<string, number>();
  private readonly outFilters = new Map<string, ServiceState['outFilter']>();
  private readonly health = new Map<string, HealthCheck>();
  /** ids of the shares with problems or warnings (few): problems() need not visit every share */
  private readonly troubled = new Set<string>();
  /** vsKeys claimed by more than one Service port */
  private readonly conflicts = new Set<string>();
  private changed = emptyChanges();
  private tables: FamilyRules[] | undefined;
  /** this Node's pod CIDRs (for --detect-local-mode NodeCIDR) */
  private nodeCidrs: readonly string[] = [];
  // Asked for on every sync: kept until a share that has (or had) problems or a health check
  // changes, so a sync after one endpoint change does not sort thousands of them again.
  private problemList: readonly Problem[] | undefined;
  private healthList: readonly HealthCheck[] | undefined;

  constructor(private readonly config: AggregateConfig) {
    for (const id of Object.keys(KUBE_SETS) as KubeSetId[]) {
      for (const f of config.families) {
        const spec = kubeSetSpec(id, f);
        this.specs.set(spec.name, spec);
        this.members.set(spec.name, new Map());
      }
    }
  }

  /** Replace the share of `id` (a Service's namespace/name); undefined removes it. */
  set(id: string, share: Share | undefined): void {
    const old = this.shares.get(id);
    if (old === share) return;
    if (this.troubled.has(id)) this.problemList = undefined;
    if (this.health.has(id) || share?.state?.healthCheck) this.healthList = undefined;
    if (old?.state) this.apply(id, old.state, -1);
    if (share) this.shares.set(id, share);
    else this.shares.delete(id);
    if (share?.state) this.apply(id, share.state, +1);
    if (share?.problems.length || share?.state?.warnings.length) { this.troubled.add(id); this.problemList = undefined; }
    else this.troubled.delete(id);
    if (share?.state?.healthCheck) this.health.set(id, share.state.healthCheck);
    else this.health.delete(id);
    if (old?.state?.outFilter.length || share?.state?.outFilter.length) {
      this.tables = undefined;
      if (share?.state?.outFilter.length) this.outFilters.set(id, share.state.outFilter);
      else this.outFilters.delete(id);
    }
  }

  /** Whether `member` is wanted in set `set`. */
  wantsMember(set: string, member: string): boolean { return this.members.get(set)?.has(member) ?? false; }

  /** The spec of a wanted set (undefined: none of that name). */
  setSpec(set: string): SetSpec | undefined { return this.specs.get(set); }

  /** Whether `address` is wanted on kube-ipvs0. */
  wantsBound(address: string): boolean { return this.bound.has(address); }

  virtualServer(key: string): DesiredVirtualServer | undefined {
    const c = this.claims.get(key);
    return c !== undefined && isList(c) ? c[0] : c;
  }
  get virtualServerCount(): number { return this.claims.size; }

  /** The key of every wanted virtual server, a copy: its reader may pause while the model changes. */
  virtualServerKeys(): string[] { return [...this.claims.keys()]; }

  /** Each wanted set with its members now, copied for the same reason. */
  wantedSets(): Array<{ readonly spec: SetSpec; readonly members: ReadonlySet<string> }> {
    return [...this.specs.values()].map((spec) => ({ spec, members: new Set(this.members.get(spec.name)!.keys()) }));
  }

  /** The addresses wanted on kube-ipvs0 now. */
  boundAddresses(): string[] { return [...this.bound.keys()]; }

  /** The programmed state of each Service, or of the one named (namespace/name). */
  *serviceStates(only?: string): IterableIterator<ServiceState> {
    if (only !== undefined) { const s = this.shares.get(only)?.state; if (s) yield s; return; }
    for (const share of this.shares.values()) if (share.state) yield share.state;
  }

  /** This Node's pod CIDRs: with --detect-local-mode NodeCIDR the skeleton follows them. */
  setNodeCidrs(cidrs: readonly string[]): void {
    if (cidrs.length === this.nodeCidrs.length && cidrs.every((c, i) => c === this.nodeCidrs[i])) return;
    this.nodeCidrs = [...cidrs];
    if (this.config.detectLocal?.mode === 'NodeCIDR') this.tables = undefined;
  }

  /** Everything that changed since the last call, and start recording afresh. */
  takeChanges(): StateChanges {
    const c = this.changed;
    this.changed = emptyChanges();
    return c;
  }

  /** The iptables skeleton (it depends only on the configuration and the source-range filters). */
  iptables(): readonly FamilyRules[] {
    if (this.tables) return this.tables;
    const entries = [...this.outFilters.values()].flat();
    this.tables = this.config.families.map((family) => {
      const t = skeletonRules({
        family,
        masqueradeAll: this.config.masqueradeAll,
        notLocal: notLocalMatches(this.config.detectLocal ?? { mode: 'ClusterCIDR' }, family, this.config.clusterCidrs, this.nodeCidrs),
        masqueradeBit: this.config.masqueradeBit,
        randomFully: this.config.randomFully,
        outFilter: entries.filter((e) => e.family === family).sort((a, b) => cmp(`${a.address} ${a.protocol} ${a.port}`, `${b.address} ${b.protocol} ${b.port}`)),
      });
      return { family, tables: [t.nat, t.filter] };
    });
    return this.tables;
  }

  /**
   * The whole desired state, computed on each call (a full sync asks once): not kept, as it is a
   * second copy of every set member and a summary of every Service (~7 MB at 30,000 Services).
   */
  state(): DesiredState {
    const ids = [...this.shares.keys()].sort(cmp);
    const states = ids.flatMap((id) => { const s = this.shares.get(id)!.state; return s ? [s] : []; });
    const summaries: ServiceSummary[] = states.map((st) => ({ id: serviceId(st.service), type: st.service.type, clusterIPs: st.service.clusterIPs, ports: st.service.ports }));
    const vss = [...this.claims.keys()].sort(cmp).map((k) => this.virtualServer(k)!);
    const sets: SetState[] = [...this.specs.values()].sort((a, b) => cmp(a.name, b.name)).map((spec) => ({ ...spec, members: new Set(this.members.get(spec.name)!.keys()) }));
    return {
      families: this.config.families,
      virtualServers: vss,
      boundAddresses: [...this.bound.keys()].sort(),
      sets,
      iptables: this.iptables(),
      healthChecks: this.healthChecks(),
      services: summaries,
      problems: this.problems(),
    };
  }

  /**
   * The desired state of just the changed keys (and `alsoVirtualServers`, unchanged ones to plan
   * again), with what they were when the changes began. Planning one against the other gives the
   * same operations as the whole state against a kernel that holds the earlier state.
   */
  restrict(changes: StateChanges, alsoVirtualServers: Iterable<string> = []): Restriction {
    const vsKeys = new Set(changes.virtualServers.keys());
    for (const k of alsoVirtualServers) vsKeys.add(k);
    const now: DesiredVirtualServer[] = [];
    const before: VirtualServer[] = [];
    for (const k of [...vsKeys].sort(cmp)) {
      const cur = this.virtualServer(k);
      if (cur) now.push(cur);
      const was = changes.virtualServers.has(k) ? changes.virtualServers.get(k) : cur;
      if (was) before.push(was.vs);
    }
    const setsNow: SetState[] = [];
    const setsBefore = new Map<string, SetState>();
    for (const [name, touched] of changes.members) {
      const spec = this.specs.get(name)!;
      const have = this.members.get(name)!;
      setsNow.push({ ...spec, members: new Set([...touched.keys()].filter((m) => have.has(m))) });
      setsBefore.set(name, { ...spec, members: new Set([...touched].flatMap(([m, was]) => (was ? [m] : []))) });
    }
    const addresses = [...changes.bound];
    return {
      desired: {
        families: this.config.families,
        virtualServers: now,
        boundAddresses: addresses.flatMap(([a]) => (this.bound.has(a) ? [a] : [])).sort(),
        sets: setsNow.sort((a, b) => cmp(a.name, b.name)),
        iptables: this.iptables(),
        healthChecks: [],
        services: [],
        problems: [],
      },
      before: { virtualServers: before, addresses: addresses.flatMap(([a, was]) => (was ? [a] : [])), sets: setsBefore },
    };
  }

  /** Every problem, sorted: the shares' own and the virtual servers claimed twice. */
  problems(): readonly Problem[] {
    if (this.problemList) return this.problemList;
    const out: Problem[] = [];
    for (const id of this.troubled) {
      const s = this.shares.get(id)!;
      out.push(...s.problems);
      if (s.state) for (const w of s.state.warnings) out.push({ kind: 'Service', namespace: s.state.service.namespace, name: s.state.service.name, reason: w, skipped: false });
    }
    for (const key of this.conflicts) {
      const claimants = this.claimants(key);
      for (const d of claimants.slice(1)) {
        const { namespace, name } = splitServiceId(d.service);
        out.push({ kind: 'Service', namespace, name, reason: `virtual server ${key} (port "${d.portName}") is already used by ${claimants[0]!.service}: not programmed`, skipped: true });
      }
    }
    this.problemList = out.map((p) => [`${p.kind} ${p.namespace}/${p.name} ${p.reason}`, p] as const).sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]);
    return this.problemList;
  }

  /** The health checks of the Services that have one, in name order. */
  healthChecks(): readonly HealthCheck[] {
    this.healthList ??= [...this.health].sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]);
    return this.healthList;
  }

  private apply(id: string, st: ServiceState, sign: 1 | -1): void {
    for (const d of st.virtualServers) this.claim(id, d, sign);
    for (let i = 0; i < st.members.length; i += 2) this.count(st.members[i]!, st.members[i + 1]!, sign);
    for (const a of st.bind) {
      refcount(this.bound, a, sign, () => this.changed.bound);
      // KUBE-IPVS-IPS holds exactly the bound addresses
      this.count(kubeSetName('ipvsIps', ipFamily(a)), a, sign);
    }
  }

  private count(set: string, member: string, sign: 1 | -1): void {
    const m = this.members.get(set);
    if (!m) return; // a set of a family this node does not serve
    refcount(m, member, sign, () => {
      let touched = this.changed.members.get(set);
      if (!touched) this.changed.members.set(set, (touched = new Map()));
      return touched;
    });
  }

  private claimants(key: string): readonly DesiredVirtualServer[] {
    const c = this.claims.get(key);
    return c === undefined ? [] : isList(c) ? c : [c];
  }

  private claim(id: string, d: DesiredVirtualServer, sign: 1 | -1): void {
    const key = vsKey(d.vs);
    const list = this.claimants(key);
    const first = list[0];
    let next: DesiredVirtualServer[];
    if (sign > 0) {
      // after every claimant of a name up to this one: Service name order, then port order
      const at = list.findIndex((c) => cmp(c.service, id) > 0);
      next = at < 0 ? [...list, d] : [...list.slice(0, at), d, ...list.slice(at)];
    } else {
      next = list.filter((c) => c !== d);
    }
    if (next[0] !== first && !this.changed.virtualServers.has(key)) this.changed.virtualServers.set(key, first);
    if (list.length > 1 || next.length > 1) this.problemList = undefined; // the claimed-twice problems
    if (next.length) this.claims.set(key, next.length === 1 ? next[0]! : next);
    else this.claims.delete(key);
    if (next.length > 1) this.conflicts.add(key);
    else this.conflicts.delete(key);
  }
}

interface MutableChanges {
  readonly virtualServers: Map<string, DesiredVirtualServer | undefined>;
  readonly members: Map<string, Map<string, boolean>>;
  readonly bound: Map<string, boolean>;
}

/** Count a key up or down; when it appears or vanishes, record (once) in changed() whether it was there before. */
function refcount(counts: Map<string, number>, key: string, sign: 1 | -1, changed: () => Map<string, boolean>): void {
  const was = counts.get(key) ?? 0;
  if ((was === 0) !== (was + sign === 0)) {
    const c = changed();
    if (!c.has(key)) c.set(key, was > 0);
  }
  if (was + sign === 0) counts.delete(key);
  else counts.set(key, was + sign);
}

const isList = (c: DesiredVirtualServer | readonly DesiredVirtualServer[]): c is readonly DesiredVirtualServer[] => Array.isArray(c);
const emptyChanges = (): MutableChanges => ({ virtualServers: new Map(), members: new Map(), bound: new Map() });
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
