// A Service port's endpoints counted by condition, and why none takes new connections: the
// sentence `status` and `explain` give for a virtual server without a serving real server.
import type { PortEndpoint } from './endpoints.js';

export interface EndpointCounts {
  readonly total: number;
  readonly ready: number;
  /** terminating, serving or not */
  readonly terminating: number;
  /** not ready but serving while terminating: used only when none is ready (KEP-1669) */
  readonly servingTerminating: number;
  /** ready, on this node */
  readonly localReady: number;
}

export function countEndpoints(eps: readonly PortEndpoint[]): EndpointCounts {
  let ready = 0, terminating = 0, servingTerminating = 0, localReady = 0;
  for (const e of eps) {
    if (e.terminating) terminating++;
    if (e.ready) { ready++; if (e.local) localReady++; }
    else if (e.serving && e.terminating) servingTerminating++;
  }
  return { total: eps.length, ready, terminating, servingTerminating, localReady };
}

/**
 * Why a virtual server has no serving real server, in one sentence: no endpoints at all, none
 * ready (and how many terminate), or a Local traffic policy with none on this node.
 */
export function noRealServerReason(c: EndpointCounts, localPolicy: { readonly local: boolean; readonly which: 'external' | 'internal' }): string {
  if (c.total === 0) return 'the Service has no endpoints for this port (no pod matches its selector, or its EndpointSlices list none)';
  const terminating = c.terminating > 0 ? `, ${c.terminating} terminating` : '';
  if (c.ready === 0 && c.servingTerminating === 0) return `0 of ${c.total} endpoints are ready${terminating}`;
  if (localPolicy.local && c.localReady === 0) {
    return `${localPolicy.which}TrafficPolicy is Local and none of its ${c.ready || c.servingTerminating} usable endpoints is on this node`;
  }
  if (c.ready === 0) return `0 of ${c.total} endpoints are ready${terminating}: the terminating ones are draining`;
  return 'every real server is draining at weight 0';
}
