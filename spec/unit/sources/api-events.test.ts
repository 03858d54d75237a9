// Events sent to an API server: the shape events.k8s.io/v1 takes, one per cause while it lasts,
// a burst per object then one per 5 minutes, and never an error to the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { join } from 'node:path';
import { ApiEventRecorder } from '../../../lib/sources/api-events.js';
import { apiEndpoint } from '../../../lib/sources/api-endpoint.js';
import type { ProxyEvent } from '../../../lib/sources/events.js';
import { FakeApiServer } from '../../helpers/fake-apiserver.js';
import { memoryLogger } from '../../helpers/fake-kernel.js';
import { until } from '../../helpers/proxy-process.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function setup(now: () => number = Date.now) {
  const api = new FakeApiServer();
  const url = await api.start();
  const kc = apiEndpoint({ kubeconfig: api.kubeconfig(join(tempDir('ev-'), 'kc'), url) }).kubeConfig;
  const { log, lines } = memoryLogger();
  return { api, lines, recorder: new ApiEventRecorder(kc, 'ipvs-proxy-node-a', log, now) };
}
const conflict = (note: string): ProxyEvent => ({
  regarding: { kind: 'Service', apiVersion: 'v1', namespace: 'shop', name: 'web', uid: 'u-1' }, type: 'Warning', reason: 'VirtualServerConflict', action: 'Programming', note,
});

test('events: the start Event on the Node and a Service\'s Event take the events.k8s.io/v1 shape, in the right namespaces', async () => {
  const { api, recorder } = await setup();
  try {
    recorder.record({ regarding: { kind: 'Node', apiVersion: 'v1', name: 'node-a', uid: 'node-a' }, type: 'Normal', reason: 'Starting', action: 'StartKubeProxy', note: '' });
    recorder.record(conflict('virtual server TCP 10.96.0.10:80 is already used by shop/api'));
    await until(() => api.events.length === 2, 5000, 'two Events');
    const [node, svc] = api.events;
    assert.equal(node!.namespace, 'default');
    assert.deepEqual({ ...node!.event, metadata: undefined, eventTime: undefined }, {
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: undefined, eventTime: undefined, reportingController: 'ipvs-proxy', reportingInstance: 'ipvs-proxy-node-a',
      action: 'StartKubeProxy', reason: 'Starting', regarding: { kind: 'Node', apiVersion: 'v1', name: 'node-a', uid: 'node-a' }, note: '', type: 'Normal',
    });
    assert.match(String(node!.event.eventTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime');
    assert.equal(svc!.namespace, 'shop');
    assert.equal((svc!.event.metadata as { namespace: string }).namespace, 'shop');
    assert.deepEqual(svc!.event.regarding, { kind: 'Service', apiVersion: 'v1', namespace: 'shop', name: 'web', uid: 'u-1' });
  } finally {
    await api.stop();
  }
});

test('events: the same cause is sent once while it lasts, again after it went away; a burst of 25 per object, then one per 5 minutes', async () => {
  let now = 1_000_000;
  const { api, recorder } = await setup(() => now);
  try {
    for (let i = 0; i < 10; i++) recorder.record(conflict('same'));
    recorder.forget(conflict('same').regarding, 'VirtualServerConflict');
    recorder.record(conflict('same'));
    for (let i = 0; i < 40; i++) recorder.record(conflict(`cause ${i}`));
    await until(() => api.events.length >= 25, 5000, 'the burst');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(api.events.length, 25, 'the burst: 2 of the same cause, then 23 new ones');
    now += 5 * 60_000;
    recorder.record(conflict('after 5 minutes'));
    recorder.record(conflict('one more'));
    await until(() => api.events.length === 26, 5000, 'one more after 5 minutes');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(api.events.length, 26);
  } finally {
    await api.stop();
  }
});

test('events: an API server that is down loses the Event, logs it, and the caller never sees an error', async () => {
  const { api, recorder, lines } = await setup();
  try {
    api.down();
    assert.doesNotThrow(() => recorder.record(conflict('while down')));
    await until(() => lines.some((l) => l.msg === 'the API server did not take an Event'), 5000, 'the failure logged');
  } finally {
    await api.stop();
  }
});
