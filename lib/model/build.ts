// The model: from Services, EndpointSlices, node facts and configuration to the desired kernel
// state. Pure and deterministic: the same objects in any order give the same state, and a bad
// object is reported in `problems` without affecting the others.
import type { IpFamily } from '../net/address.js';
import type { DesiredState } from './desired-state.js';
import { ModelCache } from './model-cache.js';
import type { NodeFacts } from './node.js';
import type { Snapshot } from './objects.js';

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

/** The desired state of a snapshot at once; the runner keeps a ModelCache to recompute only what changed. */
export function buildDesiredState(snapshot: Snapshot, node: NodeFacts, config: ModelConfig): DesiredState {
  return new ModelCache().build(snapshot, node, config);
}
