// The sync loop and the proxy over the fake kernel and an in-memory source: coalescing, waiting
// for the source, retries, health, metrics and logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SyncLoop, type SyncReason } from '../../../lib/runner/sync-loop.js';
import { Proxy } from '../../../lib/runner/proxy.js';
import { ProxyMetrics, serviceTrafficText } from '../../../lib/runner/metrics.js';
import { HealthState, healthHandler, metricsHandler } from '../../../lib/runner/health.js';
import { MemorySource } from '../../helpers/memory-source.js';
import { KernelError } from '../../../lib/kernel/errors.js';
import { CONFIG, slice, svc } from '../../helpers/objects.js';
import { fakeKernel, memoryLogger } from '../../helpers/fake-kernel.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const until = async (cond: () => boolean | Promise<boolean>, ms = 3000) => {
  const end = Date.now() + ms;
  while (!(await cond())) { if (Date.now() > end) throw new Error('timed out'); await sleep(5); }
};

test('sync loop: a burst of changes coalesces into syncs at most once per min-sync-period', async () => {
  const starts: number[] = [];
  const loop = new SyncLoop({ minSyncPeriodMs: 100, syncPeriodMs: 60_000, sync: async () => { starts.push(performance.now()); await sleep(5); return true; } });
  loop.start();
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) { loop.trigger(); await sleep(4); }
  const burstMs = performance.now() - t0;
  await sleep(250);
  await loop.stop();
  // ~200 ms of changes (longer on a busy machine): one sync per min-sync-period of it, and one after
  assert.ok(starts.length >= 2 && starts.length <= Math.ceil(burstMs / 100) + 1, `${starts.length} syncs for 50 changes over ${Math.round(burstMs)} ms`);
  assert.ok(starts[0]! - t0 < 50, 'the first change syncs at once');
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 1]! >= 95, 'never sooner than min-sync-period');
});

test('sync loop: a failed sync is retried without a new change; periodic resyncs run on their own', async () => {
  const reasons: SyncReason[] = [];
  let fail = true;
  const loop = new SyncLoop({ minSyncPeriodMs: 0, syncPeriodMs: 1500, sync: async (r) => { reasons.push(r); const ok = !fail; fail = false; return ok; } });
  try {
    loop.start();
    loop.trigger();
    await until(() => reasons.includes('periodic'), 3000);
    assert.deepEqual(reasons.slice(0, 3), ['change', 'retry', 'periodic'], 'retried after 1 s, before the periodic resync at 1.5 s');
  } finally {
    await loop.stop();
  }
});

function proxyWith(source: MemorySource, over: { minSyncPeriodMs?: number; syncPeriodMs?: number } = {}) {
  const kernel = fakeKernel();
  const metrics = new ProxyMetrics();
  const health = new HealthState(30_000);
  const { log, lines } = memoryLogger('debug');
  const proxy = new Proxy({
    source, kernel, nodeName: 'node-a', primaryAddresses: [], config: CONFIG, planOptions: { excludeCidrs: [] },
    minSyncPeriodMs: over.minSyncPeriodMs ?? 10, syncPeriodMs: over.syncPeriodMs ?? 30_000, log, metrics, health,
  });
  return { kernel, metrics, health, proxy, lines };
}

test('proxy: nothing is programmed until the source has listed everything; then each change is applied', async () => {
  const source = new MemorySource();
  const { kernel, proxy, metrics } = proxyWith(source);
  await proxy.start();
  source.set([svc('web'), slice('web-1', 'web', ['10.244.1.5'])], false);
  await sleep(50);
  assert.equal(kernel.ipvs.save(), '', 'a partial view is never programmed');
  source.set([svc('web'), slice('web-1', 'web', ['10.244.1.5'])]);
  await until(() => kernel.ipvs.save().includes('10.244.1.5'));
  source.set([svc('web'), slice('web-1', 'web', ['10.244.1.5', '10.244.2.6'])]);
  await until(() => kernel.ipvs.save().includes('10.244.2.6'));
  source.set([]);
  await until(() => kernel.ipvs.save() === '');
  await proxy.stop();
  const text = await metrics.text();
  assert.match(text, /^kubeproxy_sync_proxy_rules_endpoint_changes_total [1-9]/m);
  assert.match(text, /^kubeproxy_network_programming_duration_seconds_count [1-9]/m);
  assert.match(text, /^ipvs_proxy_kernel_operations_total\{kind="add-virtual-server",result="ok"\} 1$/m);
});

test("proxy: a stop during a long sync ends it after the requests in flight, not the whole plan (a pod's grace period is 30 s; a first sync of 30,000 Services takes minutes), and the next start completes it", async () => {
  const source = new MemorySource();
  const { kernel, proxy, lines } = proxyWith(source);
  const objects = Array.from({ length: 100 }, (_, i) => [svc(`s${i}`, { clusterIPs: [`10.96.1.${i}`] }), slice(`s${i}-1`, `s${i}`, Array.from({ length: 10 }, (_, j) => `10.244.${i}.${j + 1}`))]).flat();
  const add = kernel.ipvs.addRealServer.bind(kernel.ipvs);
  let added = 0;
  // 1,000 real servers at 100 ms each, 64 at a time: about 1.6 s of applying
  kernel.ipvs.addRealServer = async (v, rs) => { await sleep(100); added++; return add(v, rs); };
  await proxy.start();
  source.set(objects);
  await until(() => added > 0, 5000);
  const t0 = performance.now();
  await proxy.stop();
  const stopMs = performance.now() - t0;
  assert.ok(stopMs < 600, `stopped after ${Math.round(stopMs)} ms`);
  assert.ok(added <= 2 * 64, `${added} real servers were added after the stop began`);
  const stopped = lines.find((l) => l.msg === 'stopping this sync: the proxy is stopping');
  assert.ok(stopped, 'the interruption is logged');
  assert.ok(Number(stopped.skipped) >= 1000 - added, `${stopped.skipped} operations skipped: the real servers not added and whatever came after them`);
  // the next start (the pod's replacement) adopts what is there and adds the rest
  kernel.ipvs.addRealServer = add;
  const fresh = new MemorySource();
  const next = new Proxy({ source: fresh, kernel, nodeName: 'node-a', primaryAddresses: [], config: CONFIG, planOptions: { excludeCidrs: [] },
    minSyncPeriodMs: 10, syncPeriodMs: 30_000, log: memoryLogger().log, metrics: new ProxyMetrics(), health: new HealthState(30_000) });
  await next.start();
  try {
    fresh.set(objects);
    await until(() => kernel.ipvs.save().split('\n').filter((l) => l.startsWith('-a ')).length === 1000, 5000);
  } finally {
    await next.stop();
  }
});

test('proxy: a kernel failure is counted, logged with the Service, retried, and health stays true until 2 × sync period', async () => {
  const source = new MemorySource();
  const { kernel, proxy, metrics, health, lines } = proxyWith(source);
  const add = kernel.ipvs.addVirtualServer.bind(kernel.ipvs);
  let failures = 2;
  kernel.ipvs.addVirtualServer = async (v) => { if (failures-- > 0) throw new KernelError('ENOMEM', 'add virtual server', v.address); return add(v); };
  await proxy.start();
  source.set([svc('web'), slice('web-1', 'web', ['10.244.1.5'])]);
  await until(() => kernel.ipvs.save().includes('10.244.1.5'), 5000);
  await proxy.stop();
  assert.ok(lines.some((l) => l.level === 50 && l.service === 'default/web' && String(l.msg).startsWith('failed: add virtual server')));
  assert.match(await metrics.registry.metrics(), /^ipvs_proxy_syncs_total\{result="failed"\} 2$/m);
  assert.ok(health.healthy());
});

test('proxy: a malformed Service is logged once by name and does not stop the others', async () => {
  const source = new MemorySource();
  const { kernel, proxy, lines } = proxyWith(source);
  await proxy.start();
  source.set([svc('web'), slice('web-1', 'web', ['10.244.1.5']), svc('bad', { clusterIPs: ['10.96.0.999'] })]);
  await until(() => kernel.ipvs.save().includes('10.244.1.5'));
  source.set([svc('web'), slice('web-1', 'web', ['10.244.1.6']), svc('bad', { clusterIPs: ['10.96.0.999'] })]);
  await until(() => kernel.ipvs.save().includes('10.244.1.6'));
  await proxy.stop();
  const bad = lines.filter((l) => l.service === 'default/bad');
  assert.equal(bad.length, 1);
  assert.match(String(bad[0]!.msg), /^not programmed: malformed: spec.clusterIPs\[0\]/);
});

test('proxy: endpoint changes of one Service sync only that Service; a standing problem is logged and counted once, and clears when fixed', async () => {
  const source = new MemorySource();
  const { kernel, proxy, lines, metrics } = proxyWith(source, { minSyncPeriodMs: 0 });
  await proxy.start();
  source.set([svc('web'), slice('web-1', 'web', ['10.244.1.5']), svc('bad', { clusterIPs: ['10.96.0.999'] })]);
  await until(() => kernel.ipvs.save().includes('10.244.1.5'));
  for (let i = 6; i < 16; i++) {
    source.apply(slice('web-1', 'web', [`10.244.1.${i}`]));
    await until(() => kernel.ipvs.save().includes(`10.244.1.${i}`));
  }
  assert.match(await metrics.registry.metrics(), /^ipvs_proxy_skipped_objects\{kind="Service"\} 1$/m);
  source.apply(svc('bad', { clusterIPs: ['10.96.0.99'] }));
  await until(() => kernel.ipvs.save().includes('10.96.0.99'));
  await proxy.stop();
  const synced = lines.filter((l) => l.msg === 'synced');
  assert.ok(synced.length >= 11 && synced.slice(1).every((l) => l.full === false), 'the changes after the first sync are synced alone');
  assert.equal(lines.filter((l) => l.service === 'default/bad' && l.level === 40).length, 1, 'the malformed Service is reported once');
  assert.match(await metrics.registry.metrics(), /^ipvs_proxy_skipped_objects\{kind="Service"\} 0$/m);
});

test('proxy: a sync logs how long its oldest change waited for it (queuedMs): min-sync-period after the last sync', async () => {
  const source = new MemorySource();
  const { kernel, proxy, lines } = proxyWith(source, { minSyncPeriodMs: 300 });
  await proxy.start();
  source.set([svc('web'), slice('web-1', 'web', ['10.244.1.5'])]);
  await until(() => kernel.ipvs.save().includes('10.244.1.5'));
  // right after a sync: the change waits out most of min-sync-period
  const t = Date.now();
  source.apply(slice('web-1', 'web', ['10.244.1.6']));
  await until(() => kernel.ipvs.save().includes('10.244.1.6'));
  const waited = Date.now() - t;
  await proxy.stop();
  const synced = lines.filter((l) => l.msg === 'synced');
  assert.equal(synced.length, 2);
  const queued = synced[1]!.queuedMs as number;
  assert.ok(queued >= 150 && queued <= waited, `queued ${queued} ms of the ${waited} ms the change took`);
  // and the collector's pauses within each sync, a whole number of ms no longer than the sync
  for (const l of synced) assert.ok(Number.isInteger(l.gcMs) && (l.gcMs as number) >= 0 && (l.gcMs as number) <= (l.ms as number) + 1, JSON.stringify(l));
});

test('health: not ready until the first sync (saying what it waits for) but alive; then ready until the last success is older than 2 × sync period', () => {
  let now = 1_000_000;
  let problem: string | undefined = 'listing services at https://10.96.0.1:443: connect ETIMEDOUT';
  const h = new HealthState(30_000, () => now, () => problem);
  assert.ok(!h.healthy());
  assert.ok(h.alive(), 'waiting for the API server is not fixed by a restart');
  now += 5_000;
  assert.deepEqual({ ...h.report(true), currentTime: undefined }, { lastUpdated: null, currentTime: undefined, nodeEligible: true, waiting: problem, waitingSeconds: 5 });
  problem = undefined;
  h.synced();
  assert.ok(h.healthy() && h.alive());
  now += 59_000;
  assert.ok(h.healthy());
  now += 2_000;
  assert.ok(!h.healthy());
  assert.ok(!h.alive());
  h.synced();
  assert.ok(h.healthy());
  assert.equal(h.report(true).lastUpdated, new Date(now).toISOString());
});

test('health: /healthz answers 503 with nodeEligible false while the Node is marked for deletion, /livez stays 200; both as upstream (JSON, nosniff)', async () => {
  let eligible = true;
  const h = new HealthState(30_000, Date.now, () => undefined, () => eligible);
  h.synced();
  const server = createServer(healthHandler(h));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  try {
    const get = async (path: string) => { const r = await fetch(url(path)); return { status: r.status, type: r.headers.get('content-type'), nosniff: r.headers.get('x-content-type-options'), body: await r.json() as Record<string, unknown> }; };
    let r = await get('/healthz');
    assert.deepEqual([r.status, r.type, r.nosniff, r.body.nodeEligible], [200, 'application/json', 'nosniff', true]);
    eligible = false;
    r = await get('/healthz');
    assert.deepEqual([r.status, r.body.nodeEligible], [503, false]);
    r = await get('/livez');
    assert.equal(r.status, 200);
    assert.equal('nodeEligible' in r.body, false, '/livez reports the proxy only');
    eligible = true;
    assert.equal((await get('/healthz')).status, 200);
  } finally {
    server.close();
  }
});

test("metrics address: /proxyMode answers ipvs as kube-proxy's does (upstream's e2e tests and tools read the node's proxy mode there); other paths 404", async () => {
  const server = createServer(metricsHandler(new ProxyMetrics()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  try {
    const r = await fetch(url('/proxyMode'));
    assert.deepEqual([r.status, r.headers.get('content-type'), await r.text()], [200, 'text/plain; charset=utf-8', 'ipvs']);
    assert.equal((await fetch(url('/proxymode'))).status, 404);
  } finally {
    server.close();
  }
});

test('metrics: --service-traffic-metrics sums the IPVS counters of each Service port over its virtual servers, under Prometheus names', async () => {
  const source = new MemorySource();
  const { kernel, proxy, metrics } = proxyWith(source);
  metrics.enableServiceTraffic(() => proxy.serviceTraffic());
  await proxy.start();
  try {
    const port = [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }];
    source.set([svc('web', { type: 'NodePort', ports: port }), slice('web-1', 'web', ['10.244.1.5'])]);
    await until(async () => /10\.96\.0\.10:80/.test(kernel.ipvs.save()));
    const t = (connections: number) => ({ connections, packetsIn: connections * 10, packetsOut: connections * 8, bytesIn: connections * 1000, bytesOut: connections * 5000, rates: { connections: 1, packetsIn: 2, packetsOut: 3, bytesIn: 4, bytesOut: 5 } });
    kernel.ipvs.addTraffic({ family: 4, protocol: 'tcp', address: '10.96.0.10', port: 80 }, t(3));
    kernel.ipvs.addTraffic({ family: 4, protocol: 'tcp', address: '192.168.1.10', port: 30080 }, t(2));
    // a virtual server of another IPVS user: never counted as a Service's
    await kernel.ipvs.addVirtualServer({ family: 4, protocol: 'tcp', address: '192.0.2.99', port: 80, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
    kernel.ipvs.addTraffic({ family: 4, protocol: 'tcp', address: '192.0.2.99', port: 80 }, t(7));
    const text = await metrics.text();
    const l = 'namespace="default",service="web",port="http",protocol="tcp"';
    assert.match(text, new RegExp(`^ipvs_proxy_service_connections_total\\{${l}\\} 5$`, 'm'), 'cluster IP and node ports, summed');
    assert.match(text, new RegExp(`^ipvs_proxy_service_packets_total\\{${l},direction="in"\\} 50$`, 'm'));
    assert.match(text, new RegExp(`^ipvs_proxy_service_bytes_total\\{${l},direction="out"\\} 25000$`, 'm'));
    assert.equal(text.split('\n').filter((x) => x.startsWith('ipvs_proxy_service_connections_total{')).length, 1, 'only the Service');
    kernel.ipvs.addTraffic({ family: 4, protocol: 'tcp', address: '10.96.0.10', port: 80 }, t(1));
    assert.match(await metrics.text(), new RegExp(`^ipvs_proxy_service_connections_total\\{${l}\\} 6$`, 'm'), 'read again at the next scrape');
  } finally {
    await proxy.stop();
  }
});

test('metrics: the per-Service counters are Prometheus text: one HELP and TYPE per family, label values escaped', () => {
  const stats = { connections: 1, packetsIn: 2, packetsOut: 3, bytesIn: 4, bytesOut: 5, rates: { connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 } };
  const text = serviceTrafficText([{ namespace: 'a', service: 'b', port: 'we"ird\\', protocol: 'udp', stats }, { namespace: 'a', service: 'c', port: '', protocol: 'tcp', stats }]);
  const lines = text.trim().split('\n');
  assert.deepEqual(lines.filter((l) => l.startsWith('# TYPE')), ['# TYPE ipvs_proxy_service_connections_total counter', '# TYPE ipvs_proxy_service_packets_total counter', '# TYPE ipvs_proxy_service_bytes_total counter']);
  assert.ok(lines.includes('ipvs_proxy_service_packets_total{namespace="a",service="b",port="we\\"ird\\\\",protocol="udp",direction="out"} 3'), text);
  assert.ok(lines.includes('ipvs_proxy_service_bytes_total{namespace="a",service="c",port="",protocol="tcp",direction="in"} 4'), text);
  assert.equal(lines.length, 3 * 2 + 2 * (1 + 2 + 2));
});

test('proxy: a change made while a periodic resync reads the kernel is programmed at once; the resync then repairs what was tampered with and leaves the change alone', async () => {
  const source = new MemorySource();
  const { kernel, proxy, lines } = proxyWith(source, { minSyncPeriodMs: 0 });
  await proxy.start();
  source.set([svc('a'), slice('a-1', 'a', ['10.244.1.5']), svc('b', { clusterIPs: ['10.96.0.20'] }), slice('b-1', 'b', ['10.244.2.5'])]);
  await until(() => kernel.ipvs.save().includes('10.244.2.5'));
  // behind the proxy's back: b loses its real server
  const vsB = (await kernel.ipvs.listVirtualServers()).find((v) => v.address === '10.96.0.20')!;
  await kernel.ipvs.deleteRealServer(vsB, (await kernel.ipvs.listRealServers(vsB))[0]!);
  // the resync's read sees the kernel as it is now, and is held there
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let reading = false;
  const all = kernel.ipvs.listAllRealServers.bind(kernel.ipvs);
  kernel.ipvs.listAllRealServers = async () => { const seen = await all(); reading = true; await gate; return seen; };
  const from = lines.length;
  proxy.resync();
  await until(() => reading);
  source.apply(slice('a-1', 'a', ['10.244.1.5', '10.244.1.6']));
  await until(() => kernel.ipvs.save().includes('10.244.1.6'));
  assert.ok(!lines.slice(from).some((l) => l.msg === 'synced' && l.reason === 'periodic'), 'the change did not wait for the resync');
  release();
  await until(() => lines.slice(from).some((l) => l.msg === 'synced' && l.reason === 'periodic'));
  const resync = lines.slice(from).find((l) => l.msg === 'synced' && l.reason === 'periodic')!;
  await proxy.stop();
  assert.equal(resync.failed, 0);
  assert.equal(resync.operations, 1, 'only the repair: the change made during the read is not redone');
  assert.ok(typeof resync.resyncReadMs === 'number');
  const save = kernel.ipvs.save();
  assert.match(save, /10\.244\.2\.5/, 'the real server removed behind its back is back');
  assert.match(save, /10\.244\.1\.6/, 'the change made during the read stays');
  // a change sync after the resync still works
});

test('proxy: periodic resyncs due while the first (full) sync runs are dropped, so the first change after it is not held back by a second full read', async () => {
  const source = new MemorySource();
  const { kernel, proxy, lines } = proxyWith(source, { minSyncPeriodMs: 0, syncPeriodMs: 1000 });
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const all = kernel.ipvs.listAllRealServers.bind(kernel.ipvs);
  let reads = 0;
  kernel.ipvs.listAllRealServers = async () => { reads++; if (reads === 1) await gate; return all(); };
  await proxy.start();
  source.set([svc('a'), slice('a-1', 'a', ['10.244.1.5'])]);
  await sleep(2500); // two periods pass while the first sync reads
  release();
  await until(() => kernel.ipvs.save().includes('10.244.1.5'));
  const from = lines.length;
  source.apply(slice('a-1', 'a', ['10.244.1.5', '10.244.1.6']));
  await until(() => kernel.ipvs.save().includes('10.244.1.6'));
  await proxy.stop();
  const after = lines.slice(from).filter((l) => l.msg === 'synced');
  assert.equal(after[0]?.reason, 'change', `the change is the next sync: ${JSON.stringify(after.map((l) => l.reason))}`);
  assert.equal(lines.filter((l) => l.msg === 'synced' && l.full === true).length, 1, 'one full sync, not one per period that passed');
});
