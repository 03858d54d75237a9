// The model: from Services, EndpointSlices, node facts and configuration to the desired kernel
// state. Pure and deterministic: the same objects in any order give the same state, and a bad
// object is reported in `problems` without affecting the others.
import type { ModelConfig } from './config.js';
import type { DesiredState } from './desired-state.js';
import { ModelCache } from './model-cache.js';
import type { NodeFacts } from './node.js';
import type { Snapshot } from './objects.js';

/** The desired state of a snapshot at once; the runner keeps a ModelCache to recompute only what changed. */
export function buildDesiredState(snapshot: Snapshot, node: NodeFacts, config: ModelConfig): DesiredState {
  return new ModelCache().build(snapshot, node, config);
}
