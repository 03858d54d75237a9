// The KUBE-* sets of kube-proxy's IPVS mode: same names, types and rule comments, so a node can
// move between kube-proxy and ipvs-proxy without a flush. IPv6 names carry KUBE-6-, cut to 31.
import type { IpFamily } from '../net/address.js';
import type { SetSpec, SetType } from '../kernel/ipset/types.js';

export interface KubeSet {
  readonly base: string;
  readonly type: SetType;
  /** the -m comment of the iptables rule that matches the set */
  readonly comment: string;
}

export const KUBE_SETS = {
  loopBack: { base: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  clusterIp: { base: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  externalIp: { base: 'KUBE-EXTERNAL-IP', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  externalIpLocal: { base: 'KUBE-EXTERNAL-IP-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  loadBalancer: { base: 'KUBE-LOAD-BALANCER', type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  loadBalancerLocal: { base: 'KUBE-LOAD-BALANCER-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  loadBalancerFw: { base: 'KUBE-LOAD-BALANCER-FW', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  loadBalancerSourceIp: { base: 'KUBE-LOAD-BALANCER-SOURCE-IP', type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  loadBalancerSourceCidr: { base: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  nodePortTcp: { base: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  nodePortLocalTcp: { base: 'KUBE-NODE-PORT-LOCAL-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  nodePortUdp: { base: 'KUBE-NODE-PORT-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  nodePortLocalUdp: { base: 'KUBE-NODE-PORT-LOCAL-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  nodePortSctp: { base: 'KUBE-NODE-PORT-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  nodePortLocalSctp: { base: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  healthCheckNodePort: { base: 'KUBE-HEALTH-CHECK-NODE-PORT', type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  ipvsIps: { base: 'KUBE-IPVS-IPS', type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
} as const satisfies Record<string, KubeSet>;

export type KubeSetId = keyof typeof KUBE_SETS;

// One string per name, made once: the model keeps a set name beside every member.
const V6_NAMES: ReadonlyMap<KubeSetId, string> = new Map((Object.keys(KUBE_SETS) as KubeSetId[])
  .map((id) => [id, `KUBE-6-${KUBE_SETS[id].base.slice('KUBE-'.length)}`.slice(0, 31)]));

export function kubeSetName(id: KubeSetId, family: IpFamily): string {
  return family === 4 ? KUBE_SETS[id].base : V6_NAMES.get(id)!;
}

export function kubeSetSpec(id: KubeSetId, family: IpFamily): SetSpec {
  const type = KUBE_SETS[id].type;
  // bitmap:port has no family; ipset save lists it without one, read back as 4.
  return { name: kubeSetName(id, family), type, family: type === 'bitmap:port' ? 4 : family };
}

/** Every KUBE-* set name of both families (for cleanup and ownership checks). */
export function allKubeSetNames(): string[] {
  return (Object.keys(KUBE_SETS) as KubeSetId[]).flatMap((id) => [kubeSetName(id, 4), kubeSetName(id, 6)]);
}
