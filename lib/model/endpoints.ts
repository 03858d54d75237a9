// Which endpoints a virtual server sends to: the endpoints of every slice of the Service for one
// port and family, deduplicated, then Kubernetes' selection (ready ones; when none is ready, the
// serving-but-terminating ones) for the cluster-wide and the node-local sets. The cluster-wide
// set follows topology hints as kube-proxy's CategorizeEndpoints does (pkg/proxy/topology.go).
import type { IpFamily } from '../net/address.js';
import { hostPort } from '../net/address.js';
import type { EndpointSlice } from './endpoint-slice.js';
import type { ServicePort } from './service.js';

export interface PortEndpoint {
  readonly address: string;
  readonly port: number;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly local: boolean;
  readonly zoneHints: readonly string[];
  readonly nodeHints: readonly string[];
}

/** Where this node is, for topology-aware routing. */
export interface Topology {
  readonly node: string;
  /** the Node's topology.kubernetes.io/zone label; undefined without one */
  readonly zone: string | undefined;
}

/** The hints the cluster-wide endpoints follow: node hints (PreferSameNode), zone hints, or none. */
export type TopologyMode = 'PreferSameNode' | 'PreferSameZone' | undefined;

/**
 * Endpoints of one Service port: slices are joined by port name and protocol (the slice controller
 * has resolved named target ports into numbers). An address listed by two slices (while
 * endpoints move between slices) counts once, ready if either says so.
 */
export function portEndpoints(slices: readonly EndpointSlice[], port: ServicePort, family: IpFamily, nodeName: string): PortEndpoint[] {
  const byKey = new Map<string, PortEndpoint>();
  for (const slice of slices) {
    if (slice.family !== family) continue;
    const sp = slice.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
    if (!sp) continue;
    for (const e of slice.endpoints) {
      const key = hostPort(e.address, sp.port);
      const prev = byKey.get(key);
      const local = e.nodeName !== undefined && e.nodeName === nodeName;
      byKey.set(key, prev
        ? {
          ...prev, ready: prev.ready || e.ready, serving: prev.serving || e.serving, terminating: prev.terminating && e.terminating, local: prev.local || local,
          zoneHints: prev.zoneHints.length > 0 ? prev.zoneHints : e.zoneHints, nodeHints: prev.nodeHints.length > 0 ? prev.nodeHints : e.nodeHints,
        }
        : { address: e.address, port: sp.port, ready: e.ready, serving: e.serving, terminating: e.terminating, local, zoneHints: e.zoneHints, nodeHints: e.nodeHints });
    }
  }
  return [...byKey.values()];
}

/** Ready endpoints; if none is ready, those still serving while terminating (KEP-1669). */
export function usable(eps: readonly PortEndpoint[]): PortEndpoint[] {
  const ready = eps.filter((e) => e.ready);
  return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
}

export interface Selection {
  readonly cluster: readonly PortEndpoint[];
  readonly local: readonly PortEndpoint[];
  readonly topology: TopologyMode;
}

/**
 * Upstream's topologyModeFromHints: hints are followed only when every ready endpoint has them
 * and one of them is for this node (node hints first) or its zone; otherwise all endpoints are used.
 */
export function topologyMode(eps: readonly PortEndpoint[], t: Topology): TopologyMode {
  let allNode = true, forNode = false, allZone = true, forZone = false;
  for (const e of eps) {
    if (!e.ready) continue;
    if (e.nodeHints.length === 0) allNode = false;
    else if (e.nodeHints.includes(t.node)) forNode = true;
    if (e.zoneHints.length === 0) allZone = false;
    else if (t.zone !== undefined && e.zoneHints.includes(t.zone)) forZone = true;
  }
  if (allNode && forNode) return 'PreferSameNode';
  if (allZone && forZone) return 'PreferSameZone';
  return undefined;
}

/** Cluster-wide endpoints within the topology (ready ones; when none is, serving-and-terminating ones), and local ones. */
export function select(eps: readonly PortEndpoint[], t: Topology): Selection {
  const topology = topologyMode(eps, t);
  const fits = (e: PortEndpoint) => topology === undefined
    || (topology === 'PreferSameNode' ? e.nodeHints.includes(t.node) : e.zoneHints.includes(t.zone!));
  const ready = eps.filter((e) => e.ready && fits(e));
  const cluster = ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating && fits(e));
  return { cluster, local: usable(eps.filter((e) => e.local)), topology };
}
