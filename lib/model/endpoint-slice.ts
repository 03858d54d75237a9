// An EndpointSlice as the model uses it: the Service it belongs to, its family, its endpoints
// with their conditions, and its named ports (sources read it, lib/sources/read-endpoint-slice.ts).
import type { IpFamily } from '../net/address.js';
import type { Protocol } from '../kernel/ipvs/types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface Endpoint {
  /** the first address, as kube-proxy uses; canonical */
  readonly address: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName: string | undefined;
  /** hints.forZones: the zones that should use it (topology-aware routing); empty without hints */
  readonly zoneHints: readonly string[];
  /** hints.forNodes: the nodes that should use it (trafficDistribution PreferSameNode); empty without hints */
  readonly nodeHints: readonly string[];
}

export interface SlicePort {
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
}

export interface EndpointSlice {
  readonly namespace: string;
  readonly name: string;
  readonly service: string;
  readonly family: IpFamily;
  readonly endpoints: readonly Endpoint[];
  readonly ports: readonly SlicePort[];
}

