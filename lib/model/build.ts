// The model: from Services, EndpointSlices, node facts and configuration to the desired kernel
// state. Pure and deterministic: the same objects in any order give the same state, and a bad
// object is reported in `problems` without affecting the others.
import type { IpFamily } from '../net/address.js';
import { ipFamily } from '../net/address.js';
import { vsKey } from '../kernel/ipvs/types.js';
import { KUBE_SETS, kubeSetName, kubeSetSpec, type KubeSetId } from '../kernel/ipset/kube-sets.js';
import type { SetState } from '../kernel/ipset/types.js';
import { skeletonRules } from '../kernel/iptables/skeleton.js';
import type { DesiredState, DesiredVirtualServer, Problem, ServiceSummary } from './desired-state.js';
import { parseEndpointSlice, type EndpointSlice } from './endpoint-slice.js';
import type { NodeFacts } from './node.js';
import { objectName } from './raw.js';
import { parseService, serviceId, type Service } from './service.js';
import { nodeView, serviceState, type ServiceState } from './service-state.js';

export interface ModelConfig {
  readonly scheduler: string;
  /** service.kubernetes.io/service-proxy-name value this proxy answers to */
  readonly proxyName: string;
  readonly families: readonly IpFamily[];
  /** CIDRs or "primary"; empty: every node address */
  readonly nodePortAddresses: readonly string[];
  readonly masqueradeAll: boolean;
  /** pod CIDRs, both families mixed */
  readonly clusterCidrs: readonly string[];
  readonly masqueradeBit: number;
  readonly randomFully?: boolean;
}

export interface Snapshot {
  readonly services: readonly unknown[];
  readonly endpointSlices: readonly unknown[];
}

export const PROXY_NAME = 'ipvs-proxy';

export function buildDesiredState(snapshot: Snapshot, node: NodeFacts, config: ModelConfig): DesiredState {
  const problems: Problem[] = [];
  const services = parseServices(snapshot.services, config, problems);
  const slices = parseSlices(snapshot.endpointSlices, config, problems);
  const view = nodeView(node, config);
  const states = services.map((s) => serviceState(s, slices.get(serviceId(s)) ?? [], view));
  return assemble(states, config, problems);
}

function parseServices(objects: readonly unknown[], config: ModelConfig, problems: Problem[]): Service[] {
  const out: Service[] = [];
  for (const [, objs] of groupByName(objects)) {
    const r = parseOneService(objs, config);
    problems.push(...r.problems);
    if (r.service) out.push(r.service);
  }
  return out;
}

/** One Service (all objects of one namespace/name): the Service, or the problems that skip it. */
export function parseOneService(objs: readonly unknown[], config: ModelConfig): { service?: Service; problems: Problem[] } {
  const { namespace, name } = objectName(objs[0]);
  const skip = (reason: string) => ({ problems: [{ kind: 'Service' as const, namespace, name, reason, skipped: true }] });
  if (objs.length > 1) return skip(`defined ${objs.length} times`);
  const r = parseService(objs[0], { scheduler: config.scheduler, proxyName: config.proxyName });
  if (!r.ok) return skip(r.reason);
  if (!r.service.clusterIPs.some((ip) => config.families.includes(ipFamily(ip)))) {
    return skip(`no cluster IP of a family this node serves (IPv${config.families.join('/IPv')})`);
  }
  return {
    service: { ...r.service, clusterIPs: r.service.clusterIPs.filter((ip) => config.families.includes(ipFamily(ip))) },
    problems: r.warnings.map((w) => ({ kind: 'Service' as const, namespace, name, reason: w, skipped: false })),
  };
}

/** Slices by the Service (namespace/name) they belong to, each list sorted by slice name. */
function parseSlices(objects: readonly unknown[], config: ModelConfig, problems: Problem[]): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const [, objs] of groupByName(objects)) {
    const r = parseOneSlice(objs, config);
    problems.push(...r.problems);
    if (!r.slice) continue;
    const key = `${r.slice.namespace}/${r.slice.service}`;
    out.set(key, [...(out.get(key) ?? []), r.slice]);
  }
  return out;
}

export function parseOneSlice(objs: readonly unknown[], config: ModelConfig): { slice?: EndpointSlice; problems: Problem[] } {
  const { namespace, name } = objectName(objs[0]);
  const skip = (reason: string) => ({ problems: [{ kind: 'EndpointSlice' as const, namespace, name, reason, skipped: true }] });
  if (objs.length > 1) return skip(`defined ${objs.length} times`);
  const r = parseEndpointSlice(objs[0], config.proxyName);
  return r.ok ? { slice: r.slice, problems: [] } : skip(r.reason);
}

/** Objects grouped by namespace/name, in name order: input order never matters. */
export function groupByName(objects: readonly unknown[]): Array<[string, unknown[]]> {
  const groups = new Map<string, unknown[]>();
  for (const o of objects) {
    const id = serviceId(objectName(o));
    groups.set(id, [...(groups.get(id) ?? []), o]);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Joins the per-Service states (in Service name order) into the node's desired state. */
export function assemble(states: readonly ServiceState[], config: ModelConfig, problems: readonly Problem[] = []): DesiredState {
  const allProblems = [...problems];
  const vss = new Map<string, DesiredVirtualServer>();
  const bound = new Set<string>();
  const members = new Map<string, Set<string>>();
  for (const id of Object.keys(KUBE_SETS) as KubeSetId[]) for (const f of config.families) members.set(kubeSetName(id, f), new Set());
  const outFilter = { 4: [] as ServiceState['outFilter'][number][], 6: [] as ServiceState['outFilter'][number][] };
  const summaries: ServiceSummary[] = [];

  for (const st of states) {
    const { namespace, name } = st.service;
    const id = serviceId(st.service);
    for (const w of st.warnings) allProblems.push({ kind: 'Service', namespace, name, reason: w, skipped: false });
    for (const d of st.virtualServers) {
      const key = vsKey(d.vs);
      const owner = vss.get(key);
      // Two Services cannot share a virtual server: the first by name keeps it.
      if (owner) allProblems.push({ kind: 'Service', namespace, name, reason: `virtual server ${key} (port "${d.portName}") is already used by ${owner.service}: not programmed`, skipped: true });
      else vss.set(key, d);
    }
    for (const a of st.bind) bound.add(a);
    for (const m of st.members) members.get(m.set)?.add(m.member);
    for (const e of st.outFilter) outFilter[e.family].push(e);
    summaries.push({ id, type: st.service.type, clusterIPs: st.service.clusterIPs, ports: st.service.ports });
  }
  for (const a of bound) members.get(kubeSetName('ipvsIps', ipFamily(a)))?.add(a);

  const sets: SetState[] = [];
  for (const id of Object.keys(KUBE_SETS) as KubeSetId[]) {
    for (const f of config.families) sets.push({ ...kubeSetSpec(id, f), members: members.get(kubeSetName(id, f))! });
  }
  sets.sort((a, b) => (a.name < b.name ? -1 : 1));
  const iptables = config.families.map((family) => {
    const t = skeletonRules({
      family,
      masqueradeAll: config.masqueradeAll,
      clusterCidrs: config.clusterCidrs.filter((c) => ipFamily(c.split('/')[0]!) === family),
      masqueradeBit: config.masqueradeBit,
      randomFully: config.randomFully,
      outFilter: outFilter[family].sort((a, b) => (`${a.address} ${a.protocol} ${a.port}` < `${b.address} ${b.protocol} ${b.port}` ? -1 : 1)),
    });
    return { family, tables: [t.nat, t.filter] };
  });
  return {
    families: config.families,
    // sorted by their map keys (vsKey), computed once each rather than in every comparison
    virtualServers: [...vss.entries()].sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]),
    boundAddresses: [...bound].sort(),
    sets,
    iptables,
    healthChecks: states.flatMap((s) => (s.healthCheck ? [s.healthCheck] : [])),
    services: summaries,
    problems: allProblems.map((p) => [`${p.kind} ${p.namespace}/${p.name} ${p.reason}`, p] as const).sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
