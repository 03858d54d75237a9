// A Source held in memory, for the proxy's tests and the in-process benchmark: set() replaces
// every object (a change of anything), apply() and remove() change one object and name its
// Service, as the API source does, so the proxy can sync just that Service.
import type { Snapshot } from '../../lib/model/objects.js';
import type { ObjectGroup } from '../../lib/model/model-cache.js';
import { sliceOwnerId, type ServiceObject, type SliceObject } from '../../lib/model/objects.js';
import { ObjectReader } from '../../lib/sources/read-objects.js';
import type { Change, NodeInfo, Source } from '../../lib/sources/source.js';

type Kind = 'service' | 'endpointSlice';
const kindOf = (o: unknown): Kind => ((o as { kind?: unknown } | null)?.kind === 'EndpointSlice' ? 'endpointSlice' : 'service');

export class MemorySource implements Source {
  ready = false;
  private readonly reader = new ObjectReader();
  private readonly objects = { service: new Map<string, ServiceObject>(), endpointSlice: new Map<string, SliceObject>() };
  /** Service namespace/name -> keys of its slices */
  private readonly slicesOf = new Map<string, Set<string>>();
  private cb: (c: readonly Change[]) => void = () => undefined;

  async start(cb: (c: readonly Change[]) => void): Promise<void> { this.cb = cb; }
  synced(): boolean { return this.ready; }
  node(): NodeInfo | undefined { return undefined; }
  async stop(): Promise<void> {}

  snapshot(): Snapshot {
    return { services: [...this.objects.service.values()], endpointSlices: [...this.objects.endpointSlice.values()] };
  }

  objectsOf(service: string): ObjectGroup {
    const s = this.objects.service.get(service);
    const keys = this.slicesOf.get(service) ?? [];
    return { services: s === undefined ? [] : [s], slices: [...keys].map((k) => this.objects.endpointSlice.get(k)!) };
  }

  /** Every object replaced at once (objects named twice: the last one stays). */
  set(objects: readonly unknown[], ready = true): void {
    this.objects.service.clear();
    this.objects.endpointSlice.clear();
    this.slicesOf.clear();
    for (const o of objects) this.put(o);
    this.ready = ready;
    const at = Date.now();
    this.cb([{ kind: 'service', at }, { kind: 'endpointSlice', at }]);
  }

  /** One object added or replaced. */
  apply(o: unknown): void {
    this.cb([{ kind: kindOf(o), at: Date.now(), service: this.put(o) }]);
  }

  private put(raw: unknown): string {
    if (kindOf(raw) === 'service') {
      const o = this.reader.service(raw);
      const key = `${o.namespace}/${o.name}`;
      this.objects.service.set(key, o);
      return key;
    }
    const o = this.reader.endpointSlice(raw);
    const key = `${o.namespace}/${o.name}`;
    const old = this.objects.endpointSlice.get(key);
    if (old !== undefined) this.slicesOf.get(sliceOwnerId(old))?.delete(key);
    this.objects.endpointSlice.set(key, o);
    const owner = sliceOwnerId(o);
    let keys = this.slicesOf.get(owner);
    if (!keys) this.slicesOf.set(owner, (keys = new Set()));
    keys.add(key);
    return owner;
  }
}
