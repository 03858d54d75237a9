// Services, EndpointSlices and this Node from the API server through informers (list, then
// watch). An informer that stops on an error is restarted with backoff and keeps its last
// objects meanwhile: an API outage leaves the last known state programmed, never a flush.
import { type KubeConfig, ListWatch, Watch, type KubernetesObject, type V1Node } from './kube-client.js';
import { apiRequest } from './api-request.js';
import type { Logger } from '../log.js';
import type { ApiEndpoint } from './api-endpoint.js';
import { sliceOwnerId, type ServiceObject, type SliceObject, type Snapshot } from '../model/objects.js';
import { splitServiceId } from '../model/service.js';
import type { ObjectGroup } from '../model/model-cache.js';
import type { Change, ChangeKind, NodeInfo, Source } from './source.js';
import { isRecord } from './raw.js';
import { ObjectReader } from './read-objects.js';
import { readNode } from './read-node.js';
import { SliceIndex } from './slice-index.js';

const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const LIST_CHUNK = 500;
/** one page of a list (500 objects) must come within this */
const LIST_TIMEOUT_MS = 60_000;

/** What an informer keeps of a Service or EndpointSlice: the metadata it matches by, and the object read. */
type Stored<T> = T & { readonly metadata: { readonly name: string; readonly namespace: string; readonly resourceVersion?: string; readonly uid?: string } };
type ReadKind = 'service' | 'endpointSlice';

interface Feed<T extends KubernetesObject = KubernetesObject> {
  readonly kind: ChangeKind;
  readonly informer: ListWatch<T>;
  listed: boolean;
  failed: boolean;
  backoffMs: number;
  timer?: NodeJS.Timeout;
}

export class KubeSource implements Source {
  private readonly services: Feed<Stored<ServiceObject>>;
  private readonly endpointSlices: Feed<Stored<SliceObject>>;
  private readonly nodes: Feed<V1Node>;
  private readonly feeds: readonly Feed[];
  private stopped = false;
  private onChange: (c: readonly Change[]) => void = () => undefined;
  private readonly reader = new ObjectReader();
  /** EndpointSlices by the Service they name (kept from the informer's events) */
  private readonly slices = new SliceIndex<SliceObject>();
  /**
   * The trigger time of the watch event being handled: read before the object is read (the
   * annotation is not kept) and used by the change the informer reports for it, synchronously.
   */
  private eventTriggerTime: number | undefined;

  /** why the objects are not (all) current, for /healthz; undefined while every feed watches */
  private problemText: string | undefined;

  constructor(private readonly api: ApiEndpoint, private readonly nodeName: string, private readonly log: Logger) {
    const kc = api.kubeConfig;
    const watch = new Watch(kc);
    // the informer relists by itself on 410 Gone; said here, as it is what an operator sees in the API server's log
    const expired = (kind: ChangeKind) => () => this.log.info({ resource: kind, apiServer: api.server }, 'watch expired (410 Gone): listing again, keeping the objects meanwhile');
    const readWatch = (kind: ReadKind) => new ReadWatch(watch, (o) => this.read(kind, o), (t) => { this.eventTriggerTime = t; }, expired(kind)) as unknown as Watch;
    const nodeSelector = `metadata.name=${nodeName}`;
    const feed = <T extends KubernetesObject>(kind: ChangeKind, informer: ListWatch<T>): Feed<T> => ({ kind, informer, listed: false, failed: false, backoffMs: BACKOFF_MIN_MS });
    const services = '/api/v1/services';
    const slices = '/apis/discovery.k8s.io/v1/endpointslices';
    const nodes = '/api/v1/nodes';
    this.services = feed('service', new ListWatch<Stored<ServiceObject>>(services, readWatch('service'),
      () => listInChunks((p) => listPage(kc, services, p), (o) => this.read('service', o)), false));
    this.endpointSlices = feed('endpointSlice', new ListWatch<Stored<SliceObject>>(slices, readWatch('endpointSlice'),
      () => listInChunks((p) => listPage(kc, slices, p), (o) => this.read('endpointSlice', o)), false));
    this.nodes = feed('node', new ListWatch<V1Node>(nodes, watch, () => listPage(kc, nodes, { fieldSelector: nodeSelector }) as Promise<ListPage<V1Node>>, false, undefined, nodeSelector));
    this.feeds = [this.services, this.endpointSlices, this.nodes] as readonly Feed[];
  }

  /** An object as the informer keeps it: read once, with the metadata the informer matches by. */
  private read(kind: 'service', obj: unknown): Stored<ServiceObject>;
  private read(kind: 'endpointSlice', obj: unknown): Stored<SliceObject>;
  private read(kind: ReadKind, obj: unknown): Stored<ServiceObject | SliceObject>;
  private read(kind: ReadKind, obj: unknown): Stored<ServiceObject | SliceObject> {
    const m = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : {};
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    // a Service's uid names it in Events (kubectl describe finds them by it)
    const metadata = { name: text(m.name), namespace: text(m.namespace), resourceVersion: text(m.resourceVersion), ...(kind === 'service' ? { uid: text(m.uid) } : {}) };
    return { metadata, ...(kind === 'service' ? this.reader.service(obj) : this.reader.endpointSlice(obj)) };
  }

  async start(onChange: (changes: readonly Change[]) => void): Promise<void> {
    this.onChange = onChange;
    const at = () => {
      const t = this.eventTriggerTime ?? Date.now();
      this.eventTriggerTime = undefined;
      return t;
    };
    const service = (o: Stored<ServiceObject>) => this.onChange([{ kind: 'service', at: at(), service: `${o.namespace}/${o.name}` }]);
    const slice = (o: Stored<SliceObject>, deleted = false) => {
      const owners = this.slices.set(`${o.namespace}/${o.name}`, deleted ? undefined : sliceOwnerId(o), o);
      const t = at();
      this.onChange(owners.map((id) => ({ kind: 'endpointSlice', at: t, service: id })));
    };
    const node = (o: V1Node) => this.onChange([{ kind: 'node', at: this.eventTriggerTime ?? triggerTime(o) }]);
    on(this.services.informer, service, (o) => service(o));
    on(this.endpointSlices.informer, slice, (o) => slice(o, true));
    on(this.nodes.informer, node, node);
    for (const f of this.feeds) f.informer.on('error', (err: unknown) => this.failed(f, err));
    await Promise.all(this.feeds.map((f) => this.run(f)));
  }

  synced(): boolean {
    return this.feeds.filter((f) => f.kind !== 'node').every((f) => f.listed);
  }

  snapshot(): Snapshot {
    return { services: this.services.informer.list(), endpointSlices: this.endpointSlices.informer.list() };
  }

  objectsOf(service: string): ObjectGroup {
    const { namespace, name } = splitServiceId(service);
    const svc = this.services.informer.get(name, namespace);
    return { services: svc ? [svc] : [], slices: this.slices.of(service) };
  }

  uidOf(service: string): string | undefined {
    const { namespace, name } = splitServiceId(service);
    return this.services.informer.get(name, namespace)?.metadata.uid || undefined;
  }

  problem(): string | undefined {
    return this.problemText;
  }

  node(): NodeInfo | undefined {
    const n = this.nodes.informer.get(this.nodeName);
    return n ? readNode(n) : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const f of this.feeds) clearTimeout(f.timer);
    await Promise.all(this.feeds.map((f) => f.informer.stop().catch(() => undefined)));
  }

  private async run(f: Feed): Promise<void> {
    f.failed = false;
    await f.informer.start();
    if (f.failed || this.stopped) return;
    const first = !f.listed;
    f.listed = true;
    f.backoffMs = BACKOFF_MIN_MS;
    if (this.feeds.every((g) => g.listed && !g.failed)) this.problemText = undefined;
    this.log.info({ resource: f.kind, objects: f.informer.list().length }, first ? 'listed and watching' : 'watching again');
    // A (re)list may have changed objects without add/update events for each: resync.
    this.onChange([{ kind: f.kind, at: Date.now() }]);
  }

  private failed(f: Feed, err: unknown): void {
    f.failed = true;
    if (this.stopped) return;
    const message = describeError(err);
    this.problemText = `${f.listed ? 'watching' : 'listing'} ${f.kind}s at ${this.api.server}: ${message}`;
    const fields = { resource: f.kind, apiServer: this.api.server, err: message, retryInMs: f.backoffMs };
    if (f.listed) this.log.warn(fields, 'watch stopped; keeping the last objects and retrying');
    // nothing read yet: say which address failed and what setting changes it, on every retry
    else this.log.error({ ...fields, fix: this.api.fix }, `cannot reach the API server at ${this.api.server}; retrying`);
    clearTimeout(f.timer);
    f.timer = setTimeout(() => void this.run(f), f.backoffMs);
    f.backoffMs = Math.min(f.backoffMs * 2, BACKOFF_MAX_MS);
  }
}

interface ListPage<T = unknown> { kind?: string; items: T[]; metadata?: { resourceVersion?: string; continue?: string } }

/** add, update and delete of an informer's objects. */
function on<T extends KubernetesObject>(informer: ListWatch<T>, changed: (o: T) => void, deleted: (o: T) => void): void {
  informer.on('add', (o) => changed(o));
  informer.on('update', (o) => changed(o));
  informer.on('delete', (o) => deleted(o));
}

/** One page of a list, as the API server sends it (plain JSON, as watch events come). */
async function listPage(kc: KubeConfig, path: string, params: Readonly<Record<string, string | number | undefined>>): Promise<ListPage> {
  const res = await apiRequest(kc, 'GET', path, { params, timeoutMs: LIST_TIMEOUT_MS });
  if (res.status !== 200) {
    // a Status object; code 410 (an expired continue token) makes the informer list again
    throw Object.assign(new Error(`list ${path}: HTTP ${res.status}: ${res.text.slice(0, 500)}`), { code: res.status, statusCode: res.status });
  }
  const page = JSON.parse(res.text) as ListPage;
  if (!Array.isArray(page.items)) throw new Error(`list ${path}: the answer has no items (kind ${String(page.kind)})`);
  return page;
}

/**
 * A list read in chunks of LIST_CHUNK objects (as client-go's reflector does): tens of thousands
 * of EndpointSlices in one response would be held as one huge text, then parsed, then copied, at
 * once. The API server keeps the chunks one consistent snapshot (the first page's version).
 */
async function listInChunks<T>(page: (p: { limit: number; continue?: string }) => Promise<ListPage>, read: (o: unknown) => T): Promise<ListPage<T>> {
  const first = await page({ limit: LIST_CHUNK });
  const items = first.items.map(read);
  for (let next = first.metadata?.continue; next;) {
    const more = await page({ limit: LIST_CHUNK, continue: next });
    for (const o of more.items) items.push(read(o));
    next = more.metadata?.continue;
  }
  return { ...first, items, metadata: { resourceVersion: first.metadata?.resourceVersion } };
}

/**
 * A Watch whose added, modified and deleted objects are read before the informer keeps them;
 * each event's trigger time is handed over first (the informer reports the change synchronously).
 */
class ReadWatch {
  constructor(private readonly inner: Watch, private readonly read: (o: unknown) => unknown, private readonly trigger: (at: number | undefined) => void, private readonly expired: () => void) {}

  watch(...[path, params, callback, done]: Parameters<Watch['watch']>): ReturnType<Watch['watch']> {
    return this.inner.watch(path, params, (phase, obj, raw) => {
      const event = phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED';
      if (phase === 'ERROR' && (obj as { code?: number } | undefined)?.code === 410) this.expired();
      this.trigger(event ? triggerTime(obj as KubernetesObject) : undefined);
      try {
        callback(phase, event ? this.read(obj) : obj, raw);
      } finally {
        this.trigger(undefined); // an event the informer ignored (same version) leaves none behind
      }
    }, done);
  }
}

/** An error with its cause (fetch reports "fetch failed" and the reason in cause). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `${(err.cause as Error & { code?: string }).code ?? ''} ${err.cause.message}`.trim() : '';
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
}

/** When the change behind an object happened (the controller's annotation), else now. */
function triggerTime(obj: KubernetesObject | undefined): number {
  const t = obj?.metadata?.annotations?.[TRIGGER_TIME];
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) && ms <= Date.now() ? ms : Date.now();
}
