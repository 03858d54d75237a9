// Against a real control plane (etcd, kube-apiserver and kube-controller-manager v1.26.1 on this
// host): the manifests pass the API server's own validation, and the Kubernetes source, run with
// the token of the ipvs-proxy ServiceAccount bound by manifests/rbac.yaml, lists in pages,
// watches, relists after 410 Gone without dropping its objects, rides out an API server restart,
// and uses exactly the permissions the ClusterRole grants.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiEndpoint } from '../../lib/sources/api-endpoint.js';
import { KubeSource } from '../../lib/sources/kube-source.js';
import { ApiEventRecorder } from '../../lib/sources/api-events.js';
import { buildDesiredState } from '../../lib/model/build.js';
import { ControlPlane } from '../helpers/control-plane.js';
import { createNamespace, createNode, createPod, createService, deletePod, endpointsOf, manifestObjects, serverSideApply, setPodReady } from '../helpers/cluster-objects.js';
import { fakeKernel, memoryLogger } from '../helpers/fake-kernel.js';
import { Proxy } from '../../lib/runner/proxy.js';
import { ProxyMetrics } from '../../lib/runner/metrics.js';
import { HealthState } from '../../lib/runner/health.js';
import { CONFIG, NODE, linesFor } from '../helpers/objects.js';
import { until } from '../helpers/proxy-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const SA_USER = 'system:serviceaccount:kube-system:ipvs-proxy';
let cp: ControlPlane;

before(async () => {
  // watches without the API server's cache go to etcd, so a compaction makes a resumed watch 410 Gone
  cp = await ControlPlane.start({ auditUsers: [SA_USER], apiserverArgs: ['--watch-cache=false'] });
});
after(async () => { await cp?.stop(); });

test('real API server: every manifest passes a server-side dry run, then applies; the DaemonSet keeps its fields', async () => {
  const objects = manifestObjects();
  assert.deepEqual(objects.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet', 'ServiceAccount']);
  for (const o of objects) {
    if (!o.metadata.namespace && !o.kind.startsWith('Cluster')) o.metadata.namespace = 'kube-system';
    const dry = await serverSideApply(cp, o, true);
    assert.equal(dry.kind, o.kind);
  }
  // nothing was written by the dry run
  assert.equal((await cp.request('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets/ipvs-proxy')).status, 404);
  for (const o of objects) await serverSideApply(cp, o);
  const ds = await cp.must('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets/ipvs-proxy');
  const c = ds.spec.template.spec.containers[0];
  assert.deepEqual(c.args, ['run', '--config=/etc/ipvs-proxy/config.yaml', '--node-name=$(NODE_NAME)']);
  assert.deepEqual(c.env.find((e: { name: string }) => e.name === 'IPVS_PROXY_MASTER').valueFrom.configMapKeyRef, { name: 'ipvs-proxy', key: 'apiServer' });
  // a broken object is refused by the same dry run (the check can fail)
  await assert.rejects(serverSideApply(cp, { ...objects.find((o) => o.kind === 'DaemonSet')!, spec: { selector: {} } }, true), /HTTP 422/);
});

test("real API server: the source with the ipvs-proxy ServiceAccount's token lists in pages, watches, relists after 410 Gone without a flush, survives an API server restart, and uses exactly the ClusterRole's permissions", async () => {
  await createNamespace(cp, 'load');
  const count = 1100;
  for (let i = 0; i < count; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => createService(cp, 'load', `s${i + j}`, { ports: [{ port: 80, protocol: 'TCP' }] })));
  }
  await createNode(cp, 'node-a', '192.168.1.10', { 'topology.kubernetes.io/zone': 'z1' });
  // the token as the kubelet mounts it, read through a kubeconfig as kubeadm writes kube-proxy's
  const dir = tempDir('sa-');
  writeFileSync(join(dir, 'token'), await cp.token('kube-system', 'ipvs-proxy'));
  writeFileSync(join(dir, 'kubeconfig.conf'), cp.kubeconfig({ tokenFile: join(dir, 'token') }));
  const { log, lines } = memoryLogger();
  const source = new KubeSource(apiEndpoint({ kubeconfig: join(dir, 'kubeconfig.conf') }), 'node-a', log);
  let least = Infinity;
  let restart = 0;
  let restarted = 0;
  const sample = setInterval(() => { if (source.synced()) least = Math.min(least, source.snapshot().services.length); }, 5);
  try {
    await source.start(() => undefined);
    assert.equal(source.snapshot().services.length, count + 1, 'every Service (and the kubernetes Service)');
    await until(() => source.node(), 10_000, 'the node');
    assert.deepEqual(source.node(), { labels: { 'kubernetes.io/hostname': 'node-a', 'topology.kubernetes.io/zone': 'z1' }, primaryAddresses: ['192.168.1.10'], podCidrs: [], eligible: true });
    // the proxy's one write, with the same token: the start Event on its Node
    new ApiEventRecorder(apiEndpoint({ kubeconfig: join(dir, 'kubeconfig.conf') }).kubeConfig, 'ipvs-proxy-node-a', log)
      .record({ regarding: { kind: 'Node', apiVersion: 'v1', name: 'node-a', uid: 'node-a' }, type: 'Normal', reason: 'Starting', action: 'StartKubeProxy', note: '' });
    await until(async () => (await cp.must('GET', '/apis/events.k8s.io/v1/namespaces/default/events')).items.some((e: { reason: string }) => e.reason === 'Starting'), 10_000, 'the start Event');
    const lists = () => cp.audit().filter((e) => e.verb === 'list' && e.objectRef?.resource === 'services');
    const pages = lists().map((e) => (e as unknown as { requestURI: string }).requestURI);
    assert.equal(pages.length, 3, pages.join('\n'));
    assert.ok(pages.every((u) => u.includes('limit=500')) && pages.slice(1).every((u) => u.includes('continue=')), pages.join('\n'));

    // a watch event
    await createService(cp, 'load', 'late', { ports: [{ port: 80, protocol: 'TCP' }] });
    await until(() => source.snapshot().services.length === count + 2, 10_000, 'the new Service through the watch');

    // 410 Gone: history compacted past the watch's version, then the watch must resume (restart)
    for (let i = 0; i < 5; i++) await cp.must('POST', '/api/v1/namespaces/load/configmaps', { metadata: { name: `bump-${i}` } });
    await cp.compact();
    const before = lists().length;
    restart = Date.now();
    await cp.restartApiserver();
    restarted = Date.now();
    await until(() => lists().length >= before + 3, 60_000, 'a relist of the Services after 410 Gone');
    await until(() => lines.some((l) => l.resource === 'service' && l.msg === 'watching again'), 30_000, 'the Services watched again');
    assert.ok(lines.some((l) => l.resource === 'service' && /410 Gone/.test(String(l.msg))), 'the watch ended with 410 Gone');
    assert.equal(least, count + 1, 'the objects were never dropped while the API server was away and during the relist');
    await createService(cp, 'load', 'after-restart', { ports: [{ port: 80, protocol: 'TCP' }] });
    await until(() => source.snapshot().services.length === count + 3, 20_000, 'a Service made after the restart');
  } finally {
    clearInterval(sample);
    await source.stop();
  }
  // RBAC: every request allowed, and every permission the ClusterRole grants was used
  const events = cp.audit().filter((e) => e.user.username === SA_USER);
  // (a restarted API server answers 403 for a moment, until its RBAC cache has synced)
  const forbidden = events.filter((e) => (e.responseStatus?.code ?? 200) === 403);
  const settled = (e: { requestReceivedTimestamp?: string }) => { const t = Date.parse(e.requestReceivedTimestamp!); return t < restart || t > restarted + 10_000; };
  assert.deepEqual(forbidden.filter((e) => settled(e as never)), [], 'nothing was forbidden');
  const used = [...new Set(events.map((e) => `${e.objectRef?.apiGroup ?? ''}/${e.objectRef?.resource}:${e.verb}`))].sort();
  const role = manifestObjects().find((o) => o.kind === 'ClusterRole') as unknown as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
  const granted = [...new Set(role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))))].sort();
  assert.deepEqual(used, granted);
});

test('real controllers: pods ready, not ready and terminating (deleted with a grace period) become endpoints the model programs or drains', async () => {
  await createNamespace(cp, 'shop');
  await createNode(cp, 'node-b', '192.168.1.11');
  const svc = await createService(cp, 'shop', 'web', { ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 9000 }], selector: { app: 'web' } });
  const clusterIP = (svc as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
  await createPod(cp, 'shop', 'web-1', { node: 'node-b', ip: '10.244.1.11', labels: { app: 'web' }, ready: true });
  await createPod(cp, 'shop', 'web-2', { node: 'node-b', ip: '10.244.1.12', labels: { app: 'web' }, ready: true });
  await createPod(cp, 'shop', 'web-3', { node: 'node-b', ip: '10.244.1.13', labels: { app: 'web' }, ready: false });
  await until(async () => (await endpointsOf(cp, 'shop', 'web')).length === 3, 30_000, 'three endpoints');
  await deletePod(cp, 'shop', 'web-2');
  await until(async () => (await endpointsOf(cp, 'shop', 'web')).find((e) => e.ip === '10.244.1.12')?.terminating, 30_000, 'web-2 terminating');
  assert.deepEqual(await endpointsOf(cp, 'shop', 'web'), [
    { ip: '10.244.1.11', ready: true, serving: true, terminating: false },
    { ip: '10.244.1.12', ready: false, serving: true, terminating: true },
    { ip: '10.244.1.13', ready: false, serving: false, terminating: false },
  ]);
  writeFileSync(join(cp.dir, 'admin-kc'), cp.read('admin.kubeconfig'));
  const { log } = memoryLogger();
  const source = new KubeSource(apiEndpoint({ kubeconfig: join(cp.dir, 'admin-kc') }), 'node-a', log);
  try {
    await source.start(() => undefined);
    const real = () => linesFor(buildDesiredState(source.snapshot(), NODE, CONFIG), `${clusterIP}:80`).filter((l) => l.startsWith('-a')).map((l) => l.split(' ')[4]).sort();
    assert.deepEqual(real(), ['10.244.1.11:9000'], 'only the ready pod serves (terminating and not-ready do not)');
    await setPodReady(cp, 'shop', 'web-3', '10.244.1.13', true);
    await until(() => JSON.stringify(real()) === JSON.stringify(['10.244.1.11:9000', '10.244.1.13:9000']), 30_000, 'web-3 ready');
  } finally {
    await source.stop();
  }
});

test('real API server: a Service whose virtual server another Service holds gets one VirtualServerConflict Event with its uid, not one per sync; the Node its start Event', async () => {
  await createNamespace(cp, 'ev');
  const a = await createService(cp, 'ev', 'a', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
  const vip = (a as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
  // b's external IP is a's ClusterIP on the same port: one virtual server, claimed twice
  const b = await createService(cp, 'ev', 'b', { ports: [{ name: 'http', port: 80, protocol: 'TCP' }], externalIPs: [vip] });
  const dir = tempDir('sa-');
  writeFileSync(join(dir, 'token'), await cp.token('kube-system', 'ipvs-proxy'));
  writeFileSync(join(dir, 'kubeconfig.conf'), cp.kubeconfig({ tokenFile: join(dir, 'token') }));
  const api = apiEndpoint({ kubeconfig: join(dir, 'kubeconfig.conf') });
  const { log } = memoryLogger();
  const source = new KubeSource(api, 'node-a', log);
  const proxy = new Proxy({
    source, kernel: fakeKernel(), nodeName: 'node-a', primaryAddresses: [], config: CONFIG, planOptions: { excludeCidrs: [] },
    minSyncPeriodMs: 10, syncPeriodMs: 30_000, log, metrics: new ProxyMetrics(), health: new HealthState(30_000),
    events: new ApiEventRecorder(api.kubeConfig, 'ipvs-proxy-node-a', log),
  });
  const conflicts = async () => ((await cp.must('GET', '/apis/events.k8s.io/v1/namespaces/ev/events')).items as Array<Record<string, any>>)
    .filter((e) => e.reason === 'VirtualServerConflict');
  try {
    await proxy.start();
    await until(() => source.synced(), 10_000, 'listed');
    for (let i = 0; i < 5; i++) { proxy.resync(); await proxy.syncNow(); }
    const events = await until(async () => { const e = await conflicts(); return e.length > 0 ? e : undefined; }, 10_000, 'the conflict Event');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await conflicts()).length, 1, 'one Event, though six syncs saw the problem');
    const e = events[0]!;
    assert.deepEqual(e.regarding, { kind: 'Service', apiVersion: 'v1', namespace: 'ev', name: 'b', uid: (b as unknown as { metadata: { uid: string } }).metadata.uid });
    assert.equal(e.type, 'Warning');
    assert.match(e.note, new RegExp(`virtual server TCP ${vip.replace(/\./g, '\\.')}:80 .*is already used by ev/a`));
    // kubectl describe service reads core/v1 Events by the object's uid: the same Event is there
    const core = await cp.must('GET', `/api/v1/namespaces/ev/events?fieldSelector=involvedObject.uid=${e.regarding.uid}`);
    assert.deepEqual(core.items.map((x: { reason: string }) => x.reason), ['VirtualServerConflict']);
  } finally {
    await proxy.stop();
  }
});
