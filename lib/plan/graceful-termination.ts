// Graceful termination: what becomes of a real server the kernel has and the model no longer
// wants. TCP ones drain at weight 0 until their connections end, their pod is gone or the timeout
// passes; UDP and SCTP ones go at once with their conntrack flows (upstream #71514).
import { rsKey, vsKey, type RealServer, type RealServerKey, type RealServerStatus, type VirtualServer, type VirtualServerKey } from '../kernel/ipvs/types.js';
import type { Operation } from './operations.js';

/** Upstream's former bound for an endpoint that vanished without a terminating phase. */
export const DEFAULT_GRACEFUL_TERMINATION_MS = 15 * 60_000;

/**
 * What graceful termination remembers between syncs (the plan stays a pure function of it):
 * since when each removed TCP real server has been draining at weight 0, and which real servers
 * were listed as terminating in the last sync (when one leaves its slice, its pod is gone).
 */
export interface DrainState {
  readonly now: number;
  readonly timeoutMs: number;
  /** drainKey -> when its weight went to 0 */
  readonly since: ReadonlyMap<string, number>;
  /** drainKeys listed as terminating last time */
  readonly wasTerminating: ReadonlySet<string>;
}

export const drainKey = (vs: VirtualServerKey, rs: RealServerKey) => `${vsKey(vs)}/${rsKey(rs)}`;
/** The vsKey part of a drainKey (vsKey and rsKey hold no '/'). */
export const drainKeyVs = (key: string) => key.slice(0, key.indexOf('/'));

export interface Retirement {
  readonly operations: readonly Operation[];
  /** set while the real server drains: since when */
  readonly drainingSince?: number;
}

/**
 * The operations for one real server the kernel has and the model does not want. `listedTerminating`:
 * its endpoint is still in its slice with terminating: true (no timeout then).
 */
export function retireRealServer(vs: VirtualServer, rs: RealServerStatus, listedTerminating: boolean, service: string | undefined, drain: DrainState | undefined): Retirement {
  const remove = (reason: string): Operation => ({ kind: 'delete-real-server', vs, rs, service, reason });
  if (vs.protocol !== 'tcp') {
    // without the flows' removal, a client keeps sending into a flow whose backend is gone
    return { operations: [remove('removed'), { kind: 'delete-conntrack', filter: { protocol: vs.protocol, vip: vs.address, vport: vs.port, realServer: rs.address }, service }] };
  }
  const key = drainKey(vs, rs);
  const now = drain?.now ?? 0;
  const since = drain?.since.get(key);
  const timeoutMs = drain?.timeoutMs ?? DEFAULT_GRACEFUL_TERMINATION_MS;
  if (rs.activeConnections + rs.inactiveConnections === 0) return { operations: [remove('drained')] };
  if (!listedTerminating && drain?.wasTerminating.has(key)) return { operations: [remove('pod gone')] };
  if (!listedTerminating && since !== undefined && now - since >= timeoutMs) return { operations: [remove('graceful termination timeout')] };
  // No new connections, the open ones finish.
  const operations: Operation[] = rs.weight === 0 ? []
    : [{ kind: 'update-real-server', vs, rs: { ...strip(rs), weight: 0 }, service, reason: listedTerminating ? 'terminating' : 'draining' }];
  return { operations, drainingSince: since ?? now };
}

const strip = (r: RealServerStatus): RealServer => ({
  address: r.address, port: r.port, weight: r.weight, forward: r.forward, upperThreshold: r.upperThreshold, lowerThreshold: r.lowerThreshold,
});
