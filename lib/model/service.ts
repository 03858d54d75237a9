// A Service as the model uses it: validated, addresses canonical, defaults applied (sources read
// it from API objects, lib/sources/read-service.ts).
import type { Protocol } from '../kernel/ipvs/types.js';
import type { SchedulerRequest } from './scheduler.js';
import { flat } from '../flat-string.js';

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

export interface ServicePort {
  /** '' for the single unnamed port */
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  /** 0 when the Service has no node port for this port */
  readonly nodePort: number;
  readonly targetPort: number | string;
}

export interface Service {
  readonly namespace: string;
  readonly name: string;
  readonly type: ServiceType;
  /** canonical, at most one per family, primary first */
  readonly clusterIPs: readonly string[];
  readonly ports: readonly ServicePort[];
  readonly externalIPs: readonly string[];
  /** status.loadBalancer.ingress IPs (not those with ipMode Proxy, which the LB itself terminates) */
  readonly loadBalancerIPs: readonly string[];
  /** canonical CIDRs */
  readonly sourceRanges: readonly string[];
  /** ClientIP affinity timeout in seconds; undefined without affinity */
  readonly affinityTimeout: number | undefined;
  readonly externalLocal: boolean;
  readonly internalLocal: boolean;
  /** 0 when none */
  readonly healthCheckNodePort: number;
  /** what its annotations ask for (undefined: --scheduler) */
  readonly scheduler: SchedulerRequest | undefined;
}

/** The label that hands a Service to another proxy (e.g. a mesh); we take only ours. */
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
/** Services that must not be proxied at all carry this label (used by kube-proxy too). */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** the value of SERVICE_PROXY_NAME_LABEL this proxy answers to */
export const PROXY_NAME = 'ipvs-proxy';

/** namespace/name, flat: the model keeps one per Service */
export const serviceId = (s: { readonly namespace: string; readonly name: string }) => flat(`${s.namespace}/${s.name}`);
/** serviceId's inverse (a namespace holds no '/'). */
export const splitServiceId = (id: string) => ({ namespace: id.slice(0, id.indexOf('/')), name: id.slice(id.indexOf('/') + 1) });
