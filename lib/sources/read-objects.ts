// Services and EndpointSlices as they arrive (API events, a file's documents) read into the model's
// typed objects, once each. A reader belongs to one source: it owns the tables its compact slices
// and shared strings refer to, and they go with it.
import { EndpointPacker } from '../model/packed-endpoints.js';
import { Interner } from '../model/interner.js';
import type { ServiceObject, SliceObject, Snapshot } from '../model/objects.js';
import { readEndpointSlice } from './read-endpoint-slice.js';
import { readService } from './read-service.js';

/** Objects as they came, before reading (a file's, or a list's). */
export interface RawObjects {
  readonly services: readonly unknown[];
  readonly endpointSlices: readonly unknown[];
}

export class ObjectReader {
  private readonly packer = new EndpointPacker();
  private readonly strings = new Interner();
  private readonly intern = (s: string) => this.strings.intern(s);
  private readonly pack = (s: Parameters<EndpointPacker['pack']>[0]) => this.packer.pack(s);

  service(obj: unknown): ServiceObject {
    return readService(obj, this.intern);
  }

  endpointSlice(obj: unknown): SliceObject {
    return readEndpointSlice(obj, this.pack, this.intern);
  }

  snapshot(raw: RawObjects): Snapshot {
    return { services: raw.services.map((o) => this.service(o)), endpointSlices: raw.endpointSlices.map((o) => this.endpointSlice(o)) };
  }
}

/** Objects read by a reader of their own (a file, a test). */
export const readSnapshot = (raw: RawObjects): Snapshot => new ObjectReader().snapshot(raw);
