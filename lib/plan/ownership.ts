// Which virtual servers belong to Kubernetes service proxying (ours, or kube-proxy's IPVS mode's,
// which uses the same names): only those may be changed or deleted. Other IPVS users (keepalived,
// a hand-made virtual server) share the table and are never touched, unlike upstream's cleanup.
import ipaddr from 'ipaddr.js';
import { vsKey, type VirtualServerKey } from '../kernel/ipvs/types.js';
import { kubeSetName, type KubeSetId } from '../model/kube-sets.js';
import type { SetState } from '../kernel/ipset/types.js';
import type { ObservedState } from './observed-state.js';

export interface Ownership {
  /** true when the virtual server is attributable to service proxying and not excluded */
  owns(vs: VirtualServerKey): boolean;
}

/**
 * A virtual server is ours when its address is bound to kube-ipvs0, or when the KUBE-* sets
 * record it (cluster, external and load-balancer IP:port entries, node ports). The sets are
 * emptied of an entry only after its virtual server is deleted, so this survives a crash.
 * Addresses inside --ipvs-exclude-cidrs are never ours.
 */
export function ownership(observed: ObservedState, excludeCidrs: readonly string[]): Ownership {
  const bound = new Set(observed.link.addresses);
  const excluded = excludeCidrs.map((c) => ipaddr.parseCIDR(c));
  const has = (id: KubeSetId, family: 4 | 6, member: string) => (observed.sets.get(kubeSetName(id, family)) as SetState | undefined)?.members.has(member) ?? false;
  return {
    owns(vs) {
      const ip = ipaddr.parse(vs.address);
      if (excluded.some(([net, len]) => net.kind() === ip.kind() && ip.match(net, len))) return false;
      if (bound.has(vs.address) || observed.created?.has(vsKey(vs))) return true;
      const entry = `${vs.address},${vs.protocol}:${vs.port}`;
      const f = vs.family;
      if (has('clusterIp', f, entry) || has('externalIp', f, entry) || has('externalIpLocal', f, entry) || has('loadBalancer', f, entry)) return true;
      if (vs.protocol === 'sctp') return has('nodePortSctp', f, entry);
      return has(vs.protocol === 'tcp' ? 'nodePortTcp' : 'nodePortUdp', f, `${vs.port}`);
    },
  };
}
