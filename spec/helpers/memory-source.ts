// A Source held in memory, for the proxy's tests and the in-process benchmark: set() replaces
// every object (a change of anything), apply() and remove() change one object and name its
// Service, as the API source does, so the proxy can sync just that Service.
import type { Snapshot } from '../../lib/model/build.js';
import type { ObjectGroup } from '../../lib/model/model-cache.js';
import { objectName } from '../../lib/model/raw.js';
import { sliceOwner } from '../../lib/model/endpoint-slice.js';
import { serviceId } from '../../lib/model/service.js';
import type { Change, NodeInfo, Source } from '../../lib/sources/source.js';

type Kind = 'service' | 'endpointSlice';
const kindOf = (o: unknown): Kind => ((o as { kind?: unknown } | null)?.kind === 'EndpointSlice' ? 'endpointSlice' : 'service');
const ownerOf = (kind: Kind, o: unknown) => (kind === 'service' ? serviceId(objectName(o)) : sliceOwner(o));

export class MemorySource implements Source {
  ready = false;
  private readonly objects = { service: new Map<string, unknown>(), endpointSlice: new Map<string, unknown>() };
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
    return { services: s === undefined ? [] : [s], slices: [...keys].map((k) => this.objects.endpointSlice.get(k)) };
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

  private put(o: unknown): string {
    const kind = kindOf(o);
    const key = serviceId(objectName(o));
    const owner = ownerOf(kind, o);
    const old = this.objects[kind].get(key);
    if (kind === 'endpointSlice' && old !== undefined) this.slicesOf.get(ownerOf(kind, old))?.delete(key);
    this.objects[kind].set(key, o);
    if (kind === 'endpointSlice') {
      let keys = this.slicesOf.get(owner);
      if (!keys) this.slicesOf.set(owner, (keys = new Set()));
      keys.add(key);
    }
    return owner;
  }
}
