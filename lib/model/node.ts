// What the model knows about this node: its name, its addresses (from the kernel), its primary
// IPs (from the Node object or --node-ip), and which of them carry NodePorts.
import ipaddr from 'ipaddr.js';
import { ipFamily, type IpFamily } from '../net/address.js';
import { KUBE_IPVS0, type LocalAddress } from '../kernel/links/types.js';

export interface NodeFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** every address of every link, as the kernel reports them */
  readonly addresses: readonly LocalAddress[];
  /** the node's primary IPs, for --nodeport-addresses=primary */
  readonly primaryAddresses: readonly string[];
  /** the Node's spec.podCIDRs, for --detect-local-mode NodeCIDR */
  readonly podCidrs?: readonly string[];
}

/** The node's own addresses: every link but kube-ipvs0 (whose addresses are ours). */
export function ownAddresses(node: NodeFacts): Set<string> {
  return new Set(node.addresses.filter((a) => a.link !== KUBE_IPVS0).map((a) => a.address));
}

/**
 * Addresses that get NodePort virtual servers: with no selector every own address; otherwise those
 * inside one of the CIDRs, or the primary IPs for "primary". Loopback never (the kernel refuses
 * to send IPVS traffic from 127/8 to another host: #56320), IPv6 link-local never (needs a scope).
 */
export function nodePortAddresses(node: NodeFacts, selectors: readonly string[], family: IpFamily): string[] {
  const own = [...ownAddresses(node)].filter((a) => ipFamily(a) === family);
  const cidrs = selectors.filter((s) => s !== 'primary').map((c) => ipaddr.parseCIDR(c));
  const picked = selectors.length === 0 ? own : own.filter((a) => {
    const ip = ipaddr.parse(a);
    return (selectors.includes('primary') && node.primaryAddresses.includes(a))
      || cidrs.some(([net, len]) => net.kind() === ip.kind() && ip.match(net, len));
  });
  return picked.filter((a) => {
    const range = ipaddr.parse(a).range();
    return range !== 'loopback' && range !== 'linkLocal';
  }).sort();
}

/** A NodePort selector is "primary" or a CIDR. Throws with the offending text. */
export function checkNodePortSelector(s: string): void {
  if (s !== 'primary' && !ipaddr.isValidCIDR(s)) throw new Error(`"${s}" is neither a CIDR nor "primary"`);
}
