// A small Kubernetes API server for tests: list and watch (newline-delimited JSON events) of
// Services, EndpointSlices and Nodes over plain HTTP, Events created, and a switch to simulate
// an outage.
// Objects are kept as their JSON text, and only the last HISTORY events for watches to resume
// from (older: 410 Gone, as the API server's watch cache answers): the benchmark loads tens of
// thousands of objects, and its own process must stay small so its pauses do not time the proxy.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';

type Obj = Record<string, unknown> & { metadata: { name: string; namespace?: string } };
/** an object's JSON text and its name (for a field selector) */
interface Stored { readonly name: string; readonly json: string }
const HISTORY = 20_000;
const RESOURCES = {
  '/api/v1/services': { kind: 'ServiceList', apiVersion: 'v1' },
  '/apis/discovery.k8s.io/v1/endpointslices': { kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1' },
  '/api/v1/nodes': { kind: 'NodeList', apiVersion: 'v1' },
} as const;
type Path = keyof typeof RESOURCES;
const PATH_OF: Record<string, Path> = { Service: '/api/v1/services', EndpointSlice: '/apis/discovery.k8s.io/v1/endpointslices', Node: '/api/v1/nodes' };

export class FakeApiServer {
  private readonly objects = new Map<Path, Map<string, Stored>>(Object.keys(RESOURCES).map((p) => [p as Path, new Map()]));
  private readonly watchers = new Map<Path, Set<ServerResponse>>(Object.keys(RESOURCES).map((p) => [p as Path, new Set()]));
  private rv = 1;
  /** every list request served: its resource path, limit (0: none) and how many items it returned */
  readonly lists: Array<{ path: string; limit: number; items: number }> = [];
  /** the last HISTORY events, so a watch from an older resourceVersion gets what it missed (as the API server does) */
  private history: Array<{ path: Path; rv: number; line: string }> = [];
  /** events up to this resourceVersion are no longer in history */
  private forgotten = 0;
  private server!: Server;
  available = true;
  requests = 0;
  /** Events created (events.k8s.io/v1), with the namespace of the request */
  readonly events: Array<{ namespace: string; event: Record<string, unknown> }> = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig file pointing at this server. */
  kubeconfig(file: string, url: string): string {
    writeFileSync(file, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
      clusters: [{ name: 'test', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'test', user: {} }], contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
    }));
    return file;
  }

  apply(obj: Record<string, unknown>): void {
    const o = obj as Obj;
    const path = PATH_OF[o.kind as string]!;
    const key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const type = this.objects.get(path)!.has(key) ? 'MODIFIED' : 'ADDED';
    const json = JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } });
    this.objects.get(path)!.set(key, { name: o.metadata.name, json });
    this.emit(path, type, json);
  }

  remove(obj: Record<string, unknown>): void {
    const o = obj as Obj;
    const path = PATH_OF[o.kind as string]!;
    const key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const cur = this.objects.get(path)!.get(key);
    if (!cur) return;
    this.objects.get(path)!.delete(key);
    const last = JSON.parse(cur.json) as Obj;
    this.emit(path, 'DELETED', JSON.stringify({ ...last, metadata: { ...last.metadata, resourceVersion: String(++this.rv) } }));
  }

  /** Simulate an outage: open watches end, every request fails until up(). */
  down(): void {
    this.available = false;
    for (const set of this.watchers.values()) for (const res of set) res.destroy();
  }
  up(): void { this.available = true; }

  async stop(): Promise<void> {
    for (const set of this.watchers.values()) for (const res of set) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private emit(path: Path, type: string, json: string): void {
    const line = `{"type":"${type}","object":${json}}\n`;
    this.history.push({ path, rv: this.rv, line });
    if (this.history.length > 2 * HISTORY) {
      this.forgotten = this.history[this.history.length - HISTORY - 1]!.rv;
      this.history = this.history.slice(-HISTORY);
    }
    for (const res of this.watchers.get(path)!) res.write(line);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname as Path;
    if (!this.available) { res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 503, message: 'unavailable' })); return; }
    const events = /^\/apis\/events\.k8s\.io\/v1\/namespaces\/([^/]+)\/events$/.exec(url.pathname);
    if (events && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { this.events.push({ namespace: events[1]!, event: JSON.parse(body) as Record<string, unknown> }); res.writeHead(201, { 'content-type': 'application/json' }).end(body); });
      return;
    }
    if (!(path in RESOURCES)) { res.writeHead(404).end(); return; }
    const field = url.searchParams.get('fieldSelector');
    const match = (o: Stored) => !field || field === `metadata.name=${o.name}`;
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const from = Number(url.searchParams.get('resourceVersion') ?? '0');
      if (from < this.forgotten) {
        res.end('{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","message":"too old resource version","code":410}}\n');
        return;
      }
      for (const h of this.history) if (h.path === path && h.rv > from) res.write(h.line);
      const set = this.watchers.get(path)!;
      set.add(res);
      res.on('close', () => set.delete(res));
      return;
    }
    // chunked lists: limit and continue (here simply the offset of the next item)
    const all = [...this.objects.get(path)!.values()].filter(match);
    const from = Number(url.searchParams.get('continue') ?? '0');
    const limit = Number(url.searchParams.get('limit') ?? '0') || all.length;
    const items = all.slice(from, from + limit);
    this.lists.push({ path, limit: Number(url.searchParams.get('limit') ?? '0'), items: items.length });
    const more = from + limit < all.length ? { continue: String(from + limit) } : {};
    const head = JSON.stringify({ ...RESOURCES[path], metadata: { resourceVersion: String(this.rv), ...more } });
    res.writeHead(200, { 'content-type': 'application/json' }).end(`${head.slice(0, -1)},"items":[${items.map((o) => o.json).join(',')}]}`);
  }
}
