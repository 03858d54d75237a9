// The model: from Services, EndpointSlices, node facts and configuration to the desired kernel
// state. Pure and deterministic: the same objects in any order give the same state, and a bad
// object is reported in `problems` without affecting the others.
import type { IpFamily } from '../net/address.js';
import { ipFamily } from '../net/address.js';
import type { DesiredState, Problem } from './desired-state.js';
import { DesiredAggregate } from './aggregate.js';
import { exact } from './exact-array.js';
import { parseEndpointSlice, type EndpointSlice } from './endpoint-slice.js';
import type { NodeFacts } from './node.js';
import { objectName } from './raw.js';
import { parseService, serviceId, type Service } from './service.js';
import { nodeView, serviceState } from './service-state.js';

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
  const agg = new DesiredAggregate(config);
  // the problems of objects that are not programmed belong to no Service's share
  agg.set('', { problems });
  for (const s of services) agg.set(serviceId(s), { state: serviceState(s, slices.get(serviceId(s)) ?? [], view), problems: [] });
  return agg.state();
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
    service: { ...r.service, clusterIPs: exact(r.service.clusterIPs.filter((ip) => config.families.includes(ipFamily(ip)))) },
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
    const key = serviceId({ namespace: r.slice.namespace, name: r.slice.service });
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

