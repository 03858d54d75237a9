// Where Services and EndpointSlices come from (the API server, or a file): a current snapshot,
// whether it is complete yet, and a callback on every change.
import type { Snapshot } from '../model/objects.js';
import type { ObjectGroup } from '../model/model-cache.js';

export type ChangeKind = 'service' | 'endpointSlice' | 'node';

export interface Change {
  readonly kind: ChangeKind;
  /** when the change happened upstream (EndpointSlice trigger-time annotation), else when seen */
  readonly at: number;
  /** the Service (namespace/name) whose objects changed; absent: any object may have */
  readonly service?: string;
}

export interface NodeInfo {
  readonly labels: Readonly<Record<string, string>>;
  /** InternalIP addresses from the Node's status */
  readonly primaryAddresses: readonly string[];
  /** the Node's spec.podCIDRs */
  readonly podCidrs: readonly string[];
  /** false while the Node is being deleted or the cluster autoscaler has marked it for deletion (KEP-3836) */
  readonly eligible: boolean;
}

export interface Source {
  /** Begin listing and watching; changes are reported through onChange. */
  start(onChange: (changes: readonly Change[]) => void): Promise<void>;
  /** True once Services and EndpointSlices have both been read completely once. */
  synced(): boolean;
  snapshot(): Snapshot;
  /** The current objects of one Service (for a sync of just the changed ones); absent: use snapshot(). */
  objectsOf?(service: string): ObjectGroup;
  node(): NodeInfo | undefined;
  /** The uid of a Service (namespace/name), for Events about it. */
  uidOf?(service: string): string | undefined;
  /** Why the objects are not complete and current (e.g. the API server cannot be reached), if so. */
  problem?(): string | undefined;
  stop(): Promise<void>;
}
