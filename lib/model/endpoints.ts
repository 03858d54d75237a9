// Which endpoints a virtual server sends to: the endpoints of every slice of the Service for one
// port and family, deduplicated, then Kubernetes' selection (ready ones; when none is ready, the
// serving-but-terminating ones) for the cluster-wide and the node-local sets.
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
}

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
        ? { ...prev, ready: prev.ready || e.ready, serving: prev.serving || e.serving, terminating: prev.terminating && e.terminating, local: prev.local || local }
        : { address: e.address, port: sp.port, ready: e.ready, serving: e.serving, terminating: e.terminating, local });
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
}

export function select(eps: readonly PortEndpoint[]): Selection {
  return { cluster: usable(eps), local: usable(eps.filter((e) => e.local)) };
}
