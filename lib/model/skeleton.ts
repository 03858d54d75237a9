// The fixed iptables skeleton of kube-proxy's IPVS mode (see the reference, section 1.2): which
// chains the proxy owns, the jumps into them and their rules, in iptables-save's own spelling so a
// plan can be diffed against the live tables. Per-Service data lives in the KUBE-* sets; the only
// per-Service rules are the KUBE-IPVS-OUT-FILTER drops. Unlike upstream, rules for empty sets are
// written too: the ruleset stays fixed.
import { ipFamily, type IpFamily } from '../net/address.js';
import type { DetectLocal } from './config.js';
import { KUBE_SETS, kubeSetName, type KubeSetId } from './kube-sets.js';
import type { Protocol } from '../kernel/ipvs/types.js';
import { PROTOCOL_NUMBERS } from '../kernel/ipvs/types.js';
import type { JumpRule, TableRules } from '../kernel/iptables/types.js';
import { quoteSaveArg } from '../kernel/iptables/save-text.js';

export const JUMP_RULES: readonly JumpRule[] = [
  { table: 'nat', from: 'OUTPUT', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'PREROUTING', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-NODE-PORT', comment: 'kubernetes health check rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-IPVS-FILTER', comment: 'kubernetes ipvs access filter' },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-IPVS-OUT-FILTER', comment: 'kubernetes ipvs access filter' },
];

export const OWNED_CHAINS = {
  nat: ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'],
  filter: ['KUBE-FORWARD', 'KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER'],
} as const;

export interface OutFilterEntry {
  readonly address: string;
  readonly protocol: Protocol;
  readonly port: number;
}

export interface SkeletonOptions {
  readonly family: IpFamily;
  /** SNAT every ClusterIP connection */
  readonly masqueradeAll: boolean;
  /**
   * Matches of traffic that does not come from a local pod (`! -s CIDR`, `! -i IFACE`), one rule
   * each: such traffic to a ClusterIP is masqueraded. Empty: only the node's own VIP-sourced traffic is.
   */
  readonly notLocal: readonly string[];
  /** the masquerade mark is 1 << bit (default 14: 0x4000) */
  readonly masqueradeBit: number;
  readonly randomFully?: boolean;
  /** LB addresses whose source ranges exclude the node: node-local clients are dropped (#119656) */
  readonly outFilter?: readonly OutFilterEntry[];
}

/**
 * The matches of non-local traffic of one family for a detection mode, in iptables-save's
 * spelling: the cluster's or this Node's pod CIDRs of the family, or the pods' interfaces.
 */
export function notLocalMatches(detect: DetectLocal, family: IpFamily, clusterCidrs: readonly string[], nodeCidrs: readonly string[]): string[] {
  const ofFamily = (cidrs: readonly string[]) => cidrs.filter((c) => ipFamily(c.split('/')[0]!) === family);
  switch (detect.mode) {
    case 'ClusterCIDR': return ofFamily(clusterCidrs).map((c) => `! -s ${c}`);
    // as upstream, the Node's first pod CIDR of the family
    case 'NodeCIDR': return ofFamily(nodeCidrs).slice(0, 1).map((c) => `! -s ${c}`);
    case 'BridgeInterface': return [`! -i ${detect.interface}`];
    case 'InterfaceNamePrefix': return [`! -i ${detect.prefix}+`];
  }
}

export function skeletonRules(o: SkeletonOptions): { nat: TableRules; filter: TableRules } {
  const mark = `0x${(1 << o.masqueradeBit).toString(16)}`;
  const set = (id: KubeSetId) => kubeSetName(id, o.family);
  const match = (id: KubeSetId, dirs: string) => `-m comment --comment ${quoteSaveArg(KUBE_SETS[id].comment)} -m set --match-set ${set(id)} ${dirs}`;
  const loopback = o.family === 4 ? '127.0.0.0/8' : '::1/128';

  const nat: string[] = [
    `-A KUBE-SERVICES -s ${loopback} -j RETURN`,
    `-A KUBE-POSTROUTING ${match('loopBack', 'dst,dst,src')} -j MASQUERADE`,
    `-A KUBE-SERVICES ${match('loadBalancer', 'dst,dst')} -j KUBE-LOAD-BALANCER`,
    `-A KUBE-LOAD-BALANCER ${match('loadBalancerLocal', 'dst,dst')} -j RETURN`,
    `-A KUBE-NODE-PORT -p tcp ${match('nodePortLocalTcp', 'dst')} -j RETURN`,
    `-A KUBE-NODE-PORT -p tcp ${match('nodePortTcp', 'dst')} -j KUBE-MARK-MASQ`,
    `-A KUBE-NODE-PORT -p udp ${match('nodePortLocalUdp', 'dst')} -j RETURN`,
    `-A KUBE-NODE-PORT -p udp ${match('nodePortUdp', 'dst')} -j KUBE-MARK-MASQ`,
    `-A KUBE-NODE-PORT -p sctp ${match('nodePortLocalSctp', 'dst,dst')} -j RETURN`,
    `-A KUBE-NODE-PORT -p sctp ${match('nodePortSctp', 'dst,dst')} -j KUBE-MARK-MASQ`,
  ];
  // ClusterIP masquerade: exactly one form, as upstream.
  if (o.masqueradeAll) nat.push(`-A KUBE-SERVICES ${match('clusterIp', 'dst,dst')} -j KUBE-MARK-MASQ`);
  else if (o.notLocal.length > 0) for (const m of o.notLocal) nat.push(`-A KUBE-SERVICES ${m} ${match('clusterIp', 'dst,dst')} -j KUBE-MARK-MASQ`);
  else nat.push(`-A KUBE-SERVICES ${match('clusterIp', 'src,dst')} -j KUBE-MARK-MASQ`);
  nat.push(
    `-A KUBE-SERVICES ${match('externalIp', 'dst,dst')} -j KUBE-MARK-MASQ`,
    `-A KUBE-SERVICES ${match('externalIp', 'dst,dst')} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`,
    `-A KUBE-SERVICES ${match('externalIp', 'dst,dst')} -m addrtype --dst-type LOCAL -j ACCEPT`,
    `-A KUBE-SERVICES ${match('externalIpLocal', 'dst,dst')} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`,
    `-A KUBE-SERVICES ${match('externalIpLocal', 'dst,dst')} -m addrtype --dst-type LOCAL -j ACCEPT`,
    `-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT`,
    `-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ`,
    // Accept VIP traffic here so later NAT rules (a CNI's hostport DNAT) cannot grab it.
    `-A KUBE-SERVICES ${match('clusterIp', 'dst,dst')} -j ACCEPT`,
    `-A KUBE-SERVICES ${match('loadBalancer', 'dst,dst')} -j ACCEPT`,
    `-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --set-xmark ${mark}/0x0`,
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${o.randomFully ? ' --random-fully' : ''}`,
    `-A KUBE-MARK-MASQ -j MARK --set-xmark ${mark}/${mark}`,
  );

  const host = o.family === 4 ? '32' : '128';
  const filter: string[] = [
    `-A KUBE-PROXY-FIREWALL ${match('loadBalancerFw', 'dst,dst')} -j KUBE-SOURCE-RANGES-FIREWALL`,
    `-A KUBE-SOURCE-RANGES-FIREWALL ${match('loadBalancerSourceCidr', 'dst,dst,src')} -j RETURN`,
    `-A KUBE-SOURCE-RANGES-FIREWALL ${match('loadBalancerSourceIp', 'dst,dst,src')} -j RETURN`,
    `-A KUBE-SOURCE-RANGES-FIREWALL -j DROP`,
    ...(o.outFilter ?? []).map((e) =>
      `-A KUBE-IPVS-OUT-FILTER -s ${e.address}/${host} -m ipvs --vproto ${PROTOCOL_NUMBERS[e.protocol]} --vaddr ${e.address} --vport ${e.port} -j DROP`),
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A KUBE-NODE-PORT ${match('healthCheckNodePort', 'dst')} -j ACCEPT`,
    `-A KUBE-IPVS-FILTER ${match('loadBalancer', 'dst,dst')} -j RETURN`,
    `-A KUBE-IPVS-FILTER ${match('clusterIp', 'dst,dst')} -j RETURN`,
    `-A KUBE-IPVS-FILTER ${match('externalIp', 'dst,dst')} -j RETURN`,
    `-A KUBE-IPVS-FILTER ${match('externalIpLocal', 'dst,dst')} -j RETURN`,
    `-A KUBE-IPVS-FILTER ${match('healthCheckNodePort', 'dst')} -j RETURN`,
    // Host sockets must not answer on VIP:otherPort (#72236).
    `-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW ${match('ipvsIps', 'dst')} -j REJECT --reject-with ${o.family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'}`,
  ];
  return {
    nat: { table: 'nat', chains: OWNED_CHAINS.nat, jumps: JUMP_RULES.filter((j) => j.table === 'nat'), rules: nat },
    filter: { table: 'filter', chains: OWNED_CHAINS.filter, jumps: JUMP_RULES.filter((j) => j.table === 'filter'), rules: filter },
  };
}
