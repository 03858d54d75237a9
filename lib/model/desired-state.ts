// The desired kernel state: what the model computes and the plan compares with the kernel.
// Plain readonly data, printable as ipvsadm, ipset and iptables text.
import type { IpFamily } from '../net/address.js';
import type { RealServerKey, VirtualServer } from '../kernel/ipvs/types.js';
import type { SetState } from '../kernel/ipset/types.js';
import type { TableRules } from '../kernel/iptables/types.js';
import type { ServicePort, ServiceType } from './service.js';
import type { RealServerList } from './real-server-list.js';

export type VirtualServerRole = 'cluster-ip' | 'external-ip' | 'load-balancer' | 'node-port';

export interface DesiredVirtualServer {
  readonly vs: VirtualServer;
  readonly realServers: RealServerList;
  /** endpoints still listed but terminating (not used for new connections): kept at weight 0 while they drain, never added */
  readonly terminating: readonly RealServerKey[];
  /** namespace/name of the Service */
  readonly service: string;
  /** the Service port's name ('' when unnamed) */
  readonly portName: string;
  readonly role: VirtualServerRole;
}

/** Data for the health-check node port server of an externalTrafficPolicy=Local Service. */
export interface HealthCheck {
  readonly service: string;
  readonly nodePort: number;
  readonly localEndpoints: number;
}

export interface Problem {
  readonly kind: 'Service' | 'EndpointSlice';
  readonly namespace: string;
  readonly name: string;
  readonly reason: string;
  /** true: the object (or the part named in the reason) is not programmed; false: a warning */
  readonly skipped: boolean;
}

export interface ServiceSummary {
  readonly id: string;
  readonly type: ServiceType;
  readonly clusterIPs: readonly string[];
  readonly ports: readonly ServicePort[];
}

export interface FamilyRules {
  readonly family: IpFamily;
  readonly tables: readonly TableRules[];
}

export interface DesiredState {
  readonly families: readonly IpFamily[];
  /** sorted by vsKey */
  readonly virtualServers: readonly DesiredVirtualServer[];
  /** addresses on kube-ipvs0, sorted */
  readonly boundAddresses: readonly string[];
  /** every KUBE-* set of every family, with members */
  readonly sets: readonly SetState[];
  readonly iptables: readonly FamilyRules[];
  readonly healthChecks: readonly HealthCheck[];
  readonly services: readonly ServiceSummary[];
  readonly problems: readonly Problem[];
}
