// The objects the model takes, as sources read them (lib/sources/read-objects.ts): each Service
// and EndpointSlice typed, or the reason it is skipped, named for reports.
import type { Problem } from './desired-state.js';
import type { EndpointSlice } from './endpoint-slice.js';
import { serviceId, type Service } from './service.js';

export interface ServiceObject {
  readonly namespace: string;
  readonly name: string;
  /** undefined: skipped, and problems say why */
  readonly service: Service | undefined;
  /** why it is skipped, or what of it is ignored */
  readonly problems: readonly Problem[];
}

export interface SliceObject {
  readonly namespace: string;
  readonly name: string;
  /** the name of the Service it belongs to, in its namespace ('' when it names none) */
  readonly owner: string;
  /** undefined: skipped, and problems say why */
  readonly slice: EndpointSlice | undefined;
  readonly problems: readonly Problem[];
}

export interface Snapshot {
  readonly services: readonly ServiceObject[];
  readonly endpointSlices: readonly SliceObject[];
}

/** The Service (namespace/name) a slice belongs to. */
export const sliceOwnerId = (s: SliceObject) => serviceId({ namespace: s.namespace, name: s.owner });
