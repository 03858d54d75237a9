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
  readonly randomFully?: boolean;
}
