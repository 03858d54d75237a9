// Building a status report: the proxy's Services (or none, from the kernel alone) joined with the
// virtual servers, real servers and counters the kernel holds now. Pure apart from its inputs.
import { ipFamily } from '../net/address.js';
import { SvcFlags, rsKey, vsKey, type RealServerStatuses, type VirtualServer, type VirtualServerStats } from '../kernel/ipvs/types.js';
import type { DesiredVirtualServer, Problem } from '../model/desired-state.js';
import type { ServiceState } from '../model/service-state.js';
import type { EndpointSlice } from '../model/endpoint-slice.js';
import { portEndpoints } from '../model/endpoints.js';
import { countEndpoints, noRealServerReason } from '../model/endpoint-summary.js';
import type { LastSync, PortStatus, RealServerState, ServiceStatus, StatusReport, VirtualServerStatus } from './report.js';

/** The kernel's IPVS table now: every virtual server with its real servers and counters. */
export interface KernelTable {
  readonly virtualServers: ReadonlyArray<{ readonly vs: VirtualServer; readonly realServers: RealServerStatuses }>;
  readonly stats: ReadonlyMap<string, VirtualServerStats>;
}

export interface ProxyView {
  readonly node: string;
  readonly lastSync: LastSync | undefined;
  readonly problems: readonly Problem[];
  /** the programmed Services (only the asked-for one when filtered) */
  readonly services: Iterable<ServiceState>;
  /** the EndpointSlices of a Service (namespace/name) */
  readonly slicesOf: (service: string) => readonly EndpointSlice[];
}

export interface StatusFilter {
  /** namespace/name */
  readonly service?: string;
  /** only virtual servers on this address */
  readonly address?: string;
}

export function proxyStatus(proxy: ProxyView, kernel: KernelTable, filter: StatusFilter = {}): StatusReport {
  const detail = isNarrow(filter);
  const byKey = new Map(kernel.virtualServers.map((v) => [vsKey(v.vs), v]));
  const claimed = new Set<string>();
  const services: ServiceStatus[] = [];
  for (const st of proxy.services) {
    const svc = st.service;
    const id = `${svc.namespace}/${svc.name}`;
    if (filter.service !== undefined && filter.service !== id) continue;
    const wanted = st.virtualServers.filter((d) => filter.address === undefined || d.vs.address === filter.address);
    if (wanted.length === 0) continue;
    const slices = proxy.slicesOf(id);
    const nodeOf = new Map(detail ? slices.flatMap((s) => s.endpoints.map((e) => [e.address, e.nodeName] as const)) : []);
    const ports: PortStatus[] = svc.ports.flatMap((port) => {
      const mine = wanted.filter((d) => d.portName === port.name && d.vs.protocol === port.protocol);
      if (mine.length === 0) return [];
      const family = ipFamily(mine[0]!.vs.address);
      const counts = countEndpoints(portEndpoints(slices, port, family, proxy.node));
      const virtualServers = mine.map((d) => {
        claimed.add(vsKey(d.vs));
        const local = d.role === 'cluster-ip' ? { local: svc.internalLocal, which: 'internal' as const } : { local: svc.externalLocal, which: 'external' as const };
        const status = vsStatus(d.vs, byKey.get(vsKey(d.vs))?.realServers, kernel.stats.get(vsKey(d.vs)), d.role, detail ? nodeOf : undefined);
        return status.counts.serving > 0 ? status : { ...status, why: byKey.has(vsKey(d.vs)) ? noRealServerReason(counts, local) : 'not in the kernel: the last sync did not program it' };
      });
      return [{ name: port.name, protocol: port.protocol, port: port.port, endpoints: counts, virtualServers }];
    });
    services.push({ namespace: svc.namespace, name: svc.name, type: svc.type, ports });
  }
  services.sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
  const others = filter.service !== undefined ? [] : kernel.virtualServers
    .filter((v) => !claimed.has(vsKey(v.vs)) && (filter.address === undefined || v.vs.address === filter.address))
    .map((v) => vsStatus(v.vs, v.realServers, kernel.stats.get(vsKey(v.vs)), undefined, detail ? new Map() : undefined));
  return {
    from: 'proxy', node: proxy.node, ...(proxy.lastSync ? { lastSync: proxy.lastSync } : {}),
    problems: filter.service !== undefined ? proxy.problems.filter((p) => `${p.namespace}/${p.name}` === filter.service) : proxy.problems,
    services, otherVirtualServers: others,
  };
}

/** From the kernel alone: every virtual server, none named. */
export function kernelStatus(kernel: KernelTable, filter: StatusFilter = {}): StatusReport {
  const otherVirtualServers = kernel.virtualServers
    .filter((v) => filter.address === undefined || v.vs.address === filter.address)
    .map((v) => vsStatus(v.vs, v.realServers, kernel.stats.get(vsKey(v.vs)), undefined, isNarrow(filter) ? new Map() : undefined));
  return { from: 'kernel', problems: [], services: [], otherVirtualServers };
}

/** A report of one Service or one address lists each real server; a whole node's only counts them. */
export const isNarrow = (f: StatusFilter) => f.service !== undefined || f.address !== undefined;

/** nodeOf: each endpoint's node, when the real servers are to be listed */
function vsStatus(vs: VirtualServer, rss: RealServerStatuses | undefined, stats: VirtualServerStats | undefined, role: DesiredVirtualServer['role'] | undefined, nodeOf: ReadonlyMap<string, string | undefined> | undefined): VirtualServerStatus {
  let serving = 0, draining = 0, activeConnections = 0, inactiveConnections = 0;
  const list: RealServerState[] = [];
  for (const r of rss ?? []) {
    if (r.weight > 0) serving++; else draining++;
    activeConnections += r.activeConnections;
    inactiveConnections += r.inactiveConnections;
    if (!nodeOf) continue;
    const node = nodeOf.get(r.address);
    list.push({
      address: r.address, port: r.port, weight: r.weight, activeConnections: r.activeConnections, inactiveConnections: r.inactiveConnections,
      state: r.weight > 0 ? 'serving' : 'draining', ...(node ? { node } : {}),
    });
  }
  return {
    key: vsKey(vs), address: vs.address, port: vs.port, protocol: vs.protocol, ...(role ? { role } : {}), scheduler: vs.scheduler,
    ...(vs.flags & SvcFlags.PERSISTENT ? { persistenceSeconds: vs.timeout } : {}),
    counts: { serving, draining, activeConnections, inactiveConnections },
    ...(nodeOf ? { realServers: list.sort((a, b) => (rsKey(a) < rsKey(b) ? -1 : 1)) } : {}),
    ...(stats ? { stats } : {}),
  };
}
