// The API-server source against a test API server: list, watch, the node, and an outage that
// keeps the last objects until the server is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeSource } from '../../../lib/sources/kube-source.js';
import { apiEndpoint } from '../../../lib/sources/api-endpoint.js';
import type { Change } from '../../../lib/sources/source.js';
import { FakeApiServer } from '../../helpers/fake-apiserver.js';
import { freePort } from '../../helpers/control-plane.js';
import { memoryLogger } from '../../helpers/fake-kernel.js';
import { slice, svc } from '../../helpers/objects.js';
import { tempDir } from '../../helpers/temp-dir.js';

const until = async (cond: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out'); await sleep(10); }
};
const names = (objs: readonly unknown[]) => objs.map((o) => (o as { metadata: { name: string } }).metadata.name).sort();

test('API source: lists, then follows watch events; reports the node; survives an API outage with the last objects', async () => {
  const api = new FakeApiServer();
  const url = await api.start();
  const { log, lines } = memoryLogger();
  api.apply(svc('web'));
  const withExtras = (o: Record<string, any>) => ({ ...o, metadata: { ...o.metadata, managedFields: [{ manager: 'kcm', fieldsV1: {} }] },
    endpoints: o.endpoints.map((e: object) => ({ ...e, targetRef: { kind: 'Pod', name: 'web-abc' } })) });
  api.apply(withExtras(slice('web-1', 'web', ['10.244.1.5'])));
  api.apply({ kind: 'Node', metadata: { name: 'node-a', labels: { zone: 'z1' } }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'node-a' }] } });
  api.apply({ kind: 'Node', metadata: { name: 'node-b' } });
  const endpoint = apiEndpoint({ kubeconfig: api.kubeconfig(join(tempDir('kc-'), 'config'), url) });
  const source = new KubeSource(endpoint, 'node-a', log);
  const changes: Change[] = [];
  try {
    assert.equal(source.synced(), false);
    await source.start((c) => changes.push(...c));
    assert.equal(source.synced(), true);
    assert.deepEqual(names(source.snapshot().services), ['web']);
    assert.deepEqual(names(source.snapshot().endpointSlices), ['web-1']);
    const kept = () => JSON.stringify(source.snapshot().endpointSlices);
    assert.doesNotMatch(kept(), /managedFields|targetRef/, 'listed objects are kept slim');
    await until(() => source.node() !== undefined);
    assert.deepEqual(source.node(), { labels: { zone: 'z1' }, primaryAddresses: ['192.168.1.10'], podCidrs: [], eligible: true });
    // marked for deletion by the cluster autoscaler, then being deleted (KEP-3836), then back
    const node = { kind: 'Node', metadata: { name: 'node-a', labels: { zone: 'z1' } }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.10' }] } };
    api.apply({ ...node, spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1700000000', effect: 'NoSchedule' }] } });
    await until(() => source.node()?.eligible === false);
    api.apply({ ...node, metadata: { ...node.metadata, deletionTimestamp: '2026-12-06T00:00:00Z' } });
    await until(() => source.node()?.labels.zone === 'z1' && source.node()?.eligible === false);
    api.apply(node);
    await until(() => source.node()?.eligible === true);

    changes.length = 0;
    // the endpoint controller's trigger time is the change's time (the programming latency's start), though not kept
    const triggered = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000);
    const web2 = withExtras(slice('web-2', 'web', ['10.244.2.6']));
    api.apply({ ...web2, metadata: { ...web2.metadata, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': triggered.toISOString() } } });
    await until(() => source.snapshot().endpointSlices.length === 2);
    assert.match(kept(), /10\.244\.2\.6/);
    assert.doesNotMatch(kept(), /managedFields|targetRef|trigger-time/, 'watched objects are kept slim');
    assert.deepEqual(changes.filter((c) => c.kind === 'endpointSlice').map((c) => c.at), [triggered.getTime()]);
    api.apply(svc('web', { ports: [{ name: 'http', port: 81, protocol: 'TCP' }] }));
    await until(() => changes.some((c) => c.kind === 'service'));
    assert.ok(Math.abs(changes.find((c) => c.kind === 'service')!.at - Date.now()) < 5000, 'an object without a trigger time changed now');
    api.remove(svc('web'));
    await until(() => source.snapshot().services.length === 0);

    api.down();
    await until(() => lines.some((l) => l.msg === 'watch stopped; keeping the last objects and retrying'));
    assert.deepEqual(names(source.snapshot().endpointSlices), ['web-1', 'web-2'], 'the last objects stay');
    api.apply(svc('api', { clusterIPs: ['10.96.0.20'] })); // changed while the proxy cannot see
    api.up();
    await until(() => names(source.snapshot().services).includes('api'), 15_000);
    assert.ok(lines.some((l) => l.msg === 'watching again'));
  } finally {
    await source.stop();
    await api.stop();
  }
});

test('API source: lists in chunks of 500; names the Service of each change (a slice moving between Services names both); objectsOf gives one Service\'s objects', async () => {
  const api = new FakeApiServer();
  const url = await api.start();
  const { log } = memoryLogger();
  for (let i = 0; i < 1200; i++) api.apply(svc(`s${i}`, { clusterIPs: [`10.96.${i >> 8}.${i & 255}`] }));
  api.apply(slice('s1-a', 's1', ['10.244.1.5']));
  const endpoint = apiEndpoint({ kubeconfig: api.kubeconfig(join(tempDir('kc-'), 'config'), url) });
  const source = new KubeSource(endpoint, 'node-a', log);
  const changes: Change[] = [];
  try {
    await source.start((c) => changes.push(...c));
    assert.equal(source.snapshot().services.length, 1200);
    assert.deepEqual(api.lists.filter((l) => l.path === '/api/v1/services').map((l) => [l.limit, l.items]), [[500, 500], [500, 500], [500, 200]]);
    assert.deepEqual(names(source.objectsOf('default/s1').slices), ['s1-a']);
    assert.deepEqual(names(source.objectsOf('default/s1').services), ['s1']);
    changes.length = 0;
    api.apply(slice('s1-a', 's2', ['10.244.1.5'])); // relabelled: now s2's
    await until(() => source.objectsOf('default/s2').slices.length === 1);
    assert.deepEqual(changes.map((c) => c.service).sort(), ['default/s1', 'default/s2']);
    assert.deepEqual(source.objectsOf('default/s1').slices, []);
    changes.length = 0;
    api.remove(svc('s7'));
    await until(() => changes.length > 0);
    assert.deepEqual(changes.map((c) => [c.kind, c.service]), [['service', 'default/s7']]);
    assert.deepEqual(source.objectsOf('default/s7'), { services: [], slices: [] });
  } finally {
    await source.stop();
    await api.stop();
  }
});

test('API source: a watch that cannot resume (410 Gone: its version left the server\'s history) lists again and ends with the current objects', async () => {
  const api = new FakeApiServer();
  const url = await api.start();
  const { log, lines } = memoryLogger();
  api.apply(svc('web'));
  api.apply(slice('web-1', 'web', ['10.244.1.1']));
  const endpoint = apiEndpoint({ kubeconfig: api.kubeconfig(join(tempDir('kc-'), 'config'), url) });
  const source = new KubeSource(endpoint, 'node-a', log);
  try {
    await source.start(() => undefined);
    api.down();
    await until(() => lines.some((l) => l.msg === 'watch stopped; keeping the last objects and retrying'));
    // more changes than the server keeps while the proxy cannot see them
    for (let i = 0; i < 45_000; i++) api.apply(slice('web-1', 'web', [`10.244.${(i >> 8) & 255}.${i & 255}`]));
    api.apply(slice('web-2', 'web', ['10.244.200.1']));
    api.up();
    await until(() => names(source.snapshot().endpointSlices).join() === 'web-1,web-2', 20_000);
    assert.match(JSON.stringify(source.snapshot().endpointSlices), /10\.244\.175\.199/, 'the last version of web-1');
    assert.equal(api.lists.filter((l) => l.path.endsWith('/endpointslices')).length, 2, 'listed again, not resumed');
  } finally {
    await source.stop();
    await api.stop();
  }
});

test('API source: an API server that cannot be reached is named on every retry with the setting that fixes it, and is the health problem', async () => {
  const { log, lines } = memoryLogger();
  const port = await freePort(); // nothing listens there
  const endpoint = apiEndpoint({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) }, serviceAccountDir: tempDir('sa-') });
  const source = new KubeSource(endpoint, 'node-a', log);
  try {
    void source.start(() => undefined);
    await until(() => lines.filter((l) => l.resource === 'service' && (l.level as number) >= 50).length >= 2, 10_000);
    const errors = lines.filter((l) => l.resource === 'service' && (l.level as number) >= 50);
    for (const e of errors) {
      assert.equal(e.apiServer, `https://127.0.0.1:${port}`);
      assert.match(e.msg as string, new RegExp(`cannot reach the API server at https://127\\.0\\.0\\.1:${port}`));
      assert.match(e.fix as string, /--master/);
      assert.match(e.err as string, /ECONNREFUSED/);
    }
    assert.equal(source.synced(), false);
    assert.match(source.problem() ?? '', new RegExp(`listing \\w+s at https://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  } finally {
    await source.stop();
  }
});
