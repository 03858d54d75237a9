// What `ipvs-proxy status` shows and `explain` names things by: each Service port with its virtual
// servers as the kernel holds them, the endpoints behind them, and the last sync. The running proxy
// serves it as JSON on /status of its metrics address; without a proxy it is read from the kernel alone.
import type { Problem } from '../model/desired-state.js';
import type { VirtualServerStats } from '../kernel/ipvs/types.js';
import type { EndpointCounts } from '../model/endpoint-summary.js';

export interface StatusReport {
  /** "proxy": from the running proxy; "kernel": from the kernel alone (no Service names) */
  readonly from: 'proxy' | 'kernel';
  readonly node?: string;
  readonly lastSync?: LastSync;
  readonly problems: readonly Problem[];
  readonly services: readonly ServiceStatus[];
  /** virtual servers no Service of this proxy programs (another IPVS user's, or all of them without a proxy) */
  readonly otherVirtualServers: readonly VirtualServerStatus[];
}

export interface LastSync {
  /** ISO time it ended */
  readonly at: string;
  readonly ok: boolean;
  readonly reason: string;
  readonly full: boolean;
  readonly ms: number;
  readonly operations: number;
  readonly failed: number;
}

export interface ServiceStatus {
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly ports: readonly PortStatus[];
}

export interface PortStatus {
  /** '' when unnamed */
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  /** its endpoints by condition, as its EndpointSlices list them */
  readonly endpoints: EndpointCounts;
  readonly virtualServers: readonly VirtualServerStatus[];
}

export interface VirtualServerStatus {
  /** as ipvsadm names it: "TCP 10.96.0.10:80" */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: string;
  /** cluster-ip, node-port, external-ip, load-balancer (absent for other owners) */
  readonly role?: string;
  readonly scheduler: string;
  /** ClientIP affinity: the persistence timeout in seconds */
  readonly persistenceSeconds?: number;
  readonly counts: RealServerCounts;
  /** each real server: in a report of one Service or address (a whole node's would be hundreds of thousands) */
  readonly realServers?: readonly RealServerState[];
  /** why no real server takes new connections, when none does */
  readonly why?: string;
  readonly stats?: VirtualServerStats;
}

export interface RealServerCounts {
  readonly serving: number;
  readonly draining: number;
  readonly activeConnections: number;
  readonly inactiveConnections: number;
}

export interface RealServerState {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly activeConnections: number;
  readonly inactiveConnections: number;
  /** "serving": takes new connections; "draining": weight 0, kept for the connections it has */
  readonly state: 'serving' | 'draining';
  /** the endpoint's node, when the proxy knows it */
  readonly node?: string;
}
