// Which of the objects read the model programs on this node: one object per namespace/name, and
// of a Service only the cluster IPs of the families the node serves.
import { ipFamily } from '../net/address.js';
import type { Problem } from './desired-state.js';
import type { EndpointSlice } from './endpoint-slice.js';
import { exact } from './exact-array.js';
import type { ServiceObject, SliceObject } from './objects.js';
import type { Service } from './service.js';
import type { IpFamily } from '../net/address.js';

interface Named { readonly namespace: string; readonly name: string }

const twice = (kind: Problem['kind'], o: Named, n: number): Problem[] => [{ kind, namespace: o.namespace, name: o.name, reason: `defined ${n} times`, skipped: true }];

/** One Service (all objects of one namespace/name, normally one): the Service, or the problems that skip it. */
export function admitService(objs: readonly ServiceObject[], families: readonly IpFamily[]): { service?: Service; problems: readonly Problem[] } {
  const o = objs[0]!;
  if (objs.length > 1) return { problems: twice('Service', o, objs.length) };
  const s = o.service;
  if (!s) return { problems: o.problems };
  const served = s.clusterIPs.filter((ip) => families.includes(ipFamily(ip)));
  if (served.length === 0) {
    return { problems: [{ kind: 'Service', namespace: o.namespace, name: o.name, reason: `no cluster IP of a family this node serves (IPv${families.join('/IPv')})`, skipped: true }] };
  }
  return { service: served.length === s.clusterIPs.length ? s : { ...s, clusterIPs: exact(served) }, problems: o.problems };
}

/** One EndpointSlice (all objects of one namespace/name, normally one): the slice, or the problems that skip it. */
export function admitSlice(objs: readonly SliceObject[]): { slice?: EndpointSlice; problems: readonly Problem[] } {
  const o = objs[0]!;
  if (objs.length > 1) return { problems: twice('EndpointSlice', o, objs.length) };
  return o.slice ? { slice: o.slice, problems: o.problems } : { problems: o.problems };
}

/** Objects grouped by namespace/name, in name order: input order never matters. */
export function groupByName<T extends Named>(objects: readonly T[]): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const o of objects) {
    const id = `${o.namespace}/${o.name}`;
    const g = groups.get(id);
    if (g) g.push(o); else groups.set(id, [o]);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
