// What the model takes from the settings.
import type { IpFamily } from '../net/address.js';

export interface ModelConfig {
  /** the scheduler of Services that ask for none */
  readonly scheduler: string;
  readonly families: readonly IpFamily[];
  /** CIDRs or "primary"; empty: every node address */
  readonly nodePortAddresses: readonly string[];
  readonly masqueradeAll: boolean;
  /** pod CIDRs, both families mixed */
  readonly clusterCidrs: readonly string[];
  readonly masqueradeBit: number;
  /** how traffic from pods is told from other traffic (--detect-local-mode); default ClusterCIDR */
  readonly detectLocal?: DetectLocal;
  readonly randomFully?: boolean;
}

/** kube-proxy's local-traffic detection modes: pod traffic is not masqueraded on its way to a ClusterIP. */
export type DetectLocal =
  | { readonly mode: 'ClusterCIDR' }
  | { readonly mode: 'NodeCIDR' }
  | { readonly mode: 'BridgeInterface'; readonly interface: string }
  | { readonly mode: 'InterfaceNamePrefix'; readonly prefix: string };

export const DETECT_LOCAL_MODES = ['ClusterCIDR', 'NodeCIDR', 'BridgeInterface', 'InterfaceNamePrefix'] as const;
