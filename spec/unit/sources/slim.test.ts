// What the API source keeps of each object: only what the model reads, yet the model must compute
// exactly the same desired state (and the same problems) from it as from the whole object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { slim } from '../../../lib/sources/slim.js';
import { PackedEndpoints } from '../../../lib/model/packed-endpoints.js';
import { parseObjects } from '../../../lib/sources/objects-file.js';
import { MODEL_ANNOTATIONS } from '../../../lib/model/service.js';
import { buildDesiredState } from '../../../lib/model/build.js';
import { CONFIG, NODE, slice, svc } from '../../helpers/objects.js';

const kindOf = (o: unknown) => ((o as { kind?: string }).kind === 'EndpointSlice' ? 'endpointSlice' : 'service');
const slimAll = (s: { services: readonly unknown[]; endpointSlices: readonly unknown[] }) =>
  ({ services: s.services.map((o) => slim('service', o)), endpointSlices: s.endpointSlices.map((o) => slim('endpointSlice', o)) });

/** What a real API server adds: managedFields, kubectl's annotation, timestamps, per-endpoint extras. */
function fatten(o: unknown): unknown {
  const obj = structuredClone(o) as Record<string, any>;
  obj.metadata = {
    ...obj.metadata, uid: 'a1b2', resourceVersion: '42', generation: 3, creationTimestamp: new Date('2026-01-02T03:04:05Z'),
    annotations: { ...obj.metadata?.annotations, 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(o).repeat(3) },
    managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:endpoints': {} }, time: new Date() }],
    ownerReferences: [{ kind: 'Service', name: 'x', uid: 'u', apiVersion: 'v1' }],
    labels: { ...obj.metadata?.labels, app: 'web', 'helm.sh/chart': 'web-1.2.3', 'app.kubernetes.io/managed-by': 'Helm' },
  };
  if (obj.spec && typeof obj.spec === 'object') {
    obj.spec = { ...obj.spec, selector: { app: 'web' }, ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' };
    if (Array.isArray(obj.spec.ports)) obj.spec.ports = obj.spec.ports.map((p: Record<string, unknown>) => ({ ...p, appProtocol: 'http' }));
  }
  if (Array.isArray(obj.ports)) obj.ports = obj.ports.map((p: Record<string, unknown>) => ({ ...p, appProtocol: 'http' }));
  if (obj.status && typeof obj.status === 'object') obj.status = { ...obj.status, conditions: [{ type: 'x', status: 'True' }] };
  if (Array.isArray(obj.endpoints)) {
    obj.endpoints = obj.endpoints.map((e: Record<string, unknown>) => ({
      ...e, targetRef: { kind: 'Pod', name: 'web-abc', namespace: 'default', uid: 'pod-uid' }, zone: 'z1', hostname: undefined, hints: { forZones: [{ name: 'z1' }] },
    }));
  }
  return obj;
}

test('slim objects: the model computes the same desired state and problems from the examples, whole or slimmed', () => {
  for (const file of ['examples/cluster.yaml', 'examples/demo.yaml']) {
    const snap = parseObjects(readFileSync(file, 'utf8'), file);
    const fat = { services: snap.services.map(fatten), endpointSlices: snap.endpointSlices.map(fatten) };
    assert.deepEqual(buildDesiredState(slimAll(fat), NODE, CONFIG), buildDesiredState(fat, NODE, CONFIG), file);
    assert.ok(snap.services.length > 0 && snap.endpointSlices.length > 0, file);
  }
});

test('slim objects: every Service field the model reads is kept (policies, affinity, external and load-balancer IPs, source ranges, health check port)', () => {
  const eps = [{ ip: '10.244.1.5', node: 'node-a' }, { ip: '10.244.2.6', node: 'node-b' }];
  const objects = [
    svc('itp', { clusterIPs: ['10.96.0.11'], spec: { internalTrafficPolicy: 'Local' } }), slice('itp-1', 'itp', eps),
    svc('aff', { clusterIPs: ['10.96.0.12'], spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } }), slice('aff-1', 'aff', eps),
    svc('ext', { clusterIPs: ['10.96.0.13'], spec: { externalIPs: ['192.0.2.7'] } }), slice('ext-1', 'ext', eps),
    svc('lb', { clusterIPs: ['10.96.0.14'], type: 'LoadBalancer', lbIPs: ['192.0.2.8', { ip: '192.0.2.9', ipMode: 'Proxy' }],
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }],
      spec: { externalTrafficPolicy: 'Local', healthCheckNodePort: 32000, loadBalancerSourceRanges: ['203.0.113.0/24'] } }), slice('lb-1', 'lb', eps),
    svc('other', { clusterIPs: ['10.96.0.15'], labels: { 'service.kubernetes.io/service-proxy-name': 'mesh' } }),
    svc('headless', { clusterIPs: ['10.96.0.16'], labels: { 'service.kubernetes.io/headless': '' } }),
  ];
  const snap = { services: objects.filter((o) => kindOf(o) === 'service').map(fatten), endpointSlices: objects.filter((o) => kindOf(o) === 'endpointSlice').map(fatten) };
  const whole = buildDesiredState(snap, NODE, CONFIG);
  assert.equal(whole.virtualServers.length, 8, 'four cluster IPs, an external IP, a load-balancer IP, a node port on two node addresses');
  assert.equal(whole.problems.length, 2, 'another proxy\'s and a headless Service');
  assert.deepEqual(buildDesiredState(slimAll(snap), NODE, CONFIG), whole);
});

test('slim objects: uid, managedFields, other labels and annotations (the trigger time too: the source reads it from the event), timestamps and endpoint extras are dropped; the service-name label and the scheduler annotation kept', () => {
  const obj = fatten({
    kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-11-23T10:00:00Z', [MODEL_ANNOTATIONS[0]!]: 'lc', other: 'x' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' }],
  });
  const kept = slim('endpointSlice', obj) as { endpoints: unknown };
  assert.ok(kept.endpoints instanceof PackedEndpoints, 'usual endpoints are packed');
  assert.deepEqual(JSON.parse(JSON.stringify(kept)), {
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', namespace: 'shop', resourceVersion: '42', labels: { 'kubernetes.io/service-name': 'web' },
      annotations: { [MODEL_ANNOTATIONS[0]!]: 'lc' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' }],
  });
});

test('slim objects: malformed objects stay malformed, with the same problem reported', () => {
  const bad = [
    { kind: 'Service', metadata: { name: 'a', namespace: 'x' }, spec: { clusterIP: '10.96.0.1', ports: 'eighty' } },
    { kind: 'Service', metadata: 'nope', spec: {} },
    { kind: 'Service', metadata: { name: 'b', namespace: 'x', annotations: 'not a map' }, spec: { clusterIP: '10.96.0.2', ports: [{ port: 80 }] } },
    { kind: 'EndpointSlice', metadata: { name: 'c', namespace: 'x', labels: { 'kubernetes.io/service-name': 'a' } }, addressType: 'IPv4', endpoints: [{ addresses: [42] }, 'x'] },
    { kind: 'EndpointSlice', metadata: { name: 'd', namespace: 'x', labels: { 'kubernetes.io/service-name': 'a' } }, addressType: 'IPv4', endpoints: 7 },
    { kind: 'Service', metadata: { name: 'e', namespace: 'x', labels: { app: 7 } }, spec: { clusterIP: '10.96.0.3', ports: [{ port: 80 }] } },
    { kind: 'Service', metadata: { name: 'f', namespace: 'x' }, spec: { clusterIP: '10.96.0.4', ports: [{ port: 80, protocol: 'QUIC', appProtocol: 'h3' }] } },
    { kind: 'Service', metadata: { name: 'g', namespace: 'x' }, spec: 'none' },
  ];
  const snap = { services: bad.filter((o) => kindOf(o) === 'service'), endpointSlices: bad.filter((o) => kindOf(o) === 'endpointSlice') };
  const whole = buildDesiredState(snap, NODE, CONFIG).problems;
  assert.equal(whole.length, bad.length);
  assert.deepEqual(buildDesiredState(slimAll(snap), NODE, CONFIG).problems, whole);
});

test('slim objects: a slice with an unusual endpoint is kept unpacked; endpoints with the same conditions share one frozen copy; unusual conditions are kept as they came', () => {
  const ep = (conditions: unknown) => ({ addresses: ['10.244.1.5'], conditions, nodeName: 'node-a' });
  const s = slim('endpointSlice', {
    kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 'shop' }, addressType: 'IPv4',
    endpoints: [ep({ ready: true, serving: true, terminating: false }), ep({ ready: true, serving: true, terminating: false }), ep({ ready: false }), ep({ ready: 'yes' }), ep({ ready: true, extra: 1 })],
  }) as { endpoints: Array<{ conditions: unknown }> };
  const [a, b, c, d, e] = s.endpoints.map((x) => x.conditions);
  assert.equal(a, b, 'one object for equal conditions');
  assert.ok(Object.isFrozen(a));
  assert.deepEqual(a, { ready: true, serving: true, terminating: false });
  assert.deepEqual(c, { ready: false });
  assert.notEqual(c, a);
  assert.deepEqual(d, { ready: 'yes' }, 'a wrong type is kept for the model to report');
  assert.deepEqual(e, { ready: true, extra: 1 });
});

test('slim objects: Services without a kept label, annotation or load-balancer status share one empty map and keep no status', () => {
  const [a, b] = [fatten(svc('a')), fatten(svc('b', { clusterIPs: ['10.96.0.11'] }))].map((o) => slim('service', o) as { metadata: { labels: object; annotations: object }; status?: unknown });
  assert.deepEqual(a!.metadata.labels, {});
  assert.equal(a!.metadata.labels, b!.metadata.labels, 'one shared empty map');
  assert.equal(a!.metadata.annotations, b!.metadata.labels);
  assert.equal(a!.status, undefined);
});
