// Where the proxy's memory goes, in-process (no VM): heap retained by the API source's objects and
// by the model for N generated Services × 10 endpoints. Not part of `npm run bench` (it needs
// --expose-gc):  node_modules/.bin/node --expose-gc --import tsx scripts/bench/memory.ts 30000
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from './generate.js';
import { FakeApiServer } from '../../spec/helpers/fake-apiserver.js';
import { KubeSource } from '../../lib/sources/kube-source.js';
import { apiEndpoint } from '../../lib/sources/api-endpoint.js';
import { ModelCache } from '../../lib/model/model-cache.js';
import type { ModelConfig } from '../../lib/model/config.js';
import { memoryLogger } from '../../spec/helpers/fake-kernel.js';
const n = Number(process.argv[2] ?? 30000);
const CONFIG: ModelConfig = { scheduler: 'rr', families: [4, 6], nodePortAddresses: ['192.168.100.0/24'], masqueradeAll: false, clusterCidrs: ['10.128.0.0/9'], masqueradeBit: 14 };
const gc = (globalThis as { gc?: () => void }).gc ?? (() => { throw new Error('run with --expose-gc'); });
let last = 0;
const mb = () => { gc(); gc(); const heap = process.memoryUsage().heapUsed / 1e6; const d = heap - last; last = heap; return `heap ${Math.round(heap)} MB (+${Math.round(d)} MB)`; };
console.log(`${n} Services × 10 endpoints`);
console.log('start', mb());
const g = generate(n, 10);
const api = new FakeApiServer();
const url = await api.start();
for (const o of [...g.services, ...g.slices]) api.apply(o);
console.log('test API server holds the objects', mb());
const dir = mkdtempSync(join(tmpdir(), 'mem-'));
const { log } = memoryLogger();
const src = new KubeSource(apiEndpoint({ kubeconfig: api.kubeconfig(join(dir, 'kc'), url) }), 'node-a', log);
await new Promise<void>((res) => { void src.start(() => { if (src.synced()) res(); }); });
console.log('API source listed and read them', mb());
const node = { name: 'node-a', labels: {}, addresses: [{ address: '192.168.100.1', family: 4 as const, prefixLength: 24, link: 'eth0' }], primaryAddresses: [] };
const cache = new ModelCache();
cache.build(src.snapshot(), node, CONFIG);
console.log(`model built: ${cache.aggregate.virtualServerCount} virtual servers`, mb());
await src.stop(); await api.stop();
process.exit(0);
