// Objects read as they arrive: what an API server adds to them changes nothing, every field the
// model uses is read, and a malformed object is one problem, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseObjects } from '../../../lib/sources/objects-file.js';
import { ObjectReader, readSnapshot } from '../../../lib/sources/read-objects.js';
import { buildDesiredState } from '../../../lib/model/build.js';
import { CONFIG, NODE, slice, svc } from '../../helpers/objects.js';

const kindOf = (o: unknown) => ((o as { kind?: string }).kind === 'EndpointSlice' ? 'endpointSlice' : 'service');

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

test('read objects: the examples give the same desired state and problems with or without what an API server adds', () => {
  for (const file of ['examples/cluster.yaml', 'examples/demo.yaml']) {
    const snap = parseObjects(readFileSync(file, 'utf8'), file);
    const fat = { services: snap.services.map(fatten), endpointSlices: snap.endpointSlices.map(fatten) };
    assert.deepEqual(buildDesiredState(readSnapshot(fat), NODE, CONFIG), buildDesiredState(readSnapshot(snap), NODE, CONFIG), file);
    assert.ok(snap.services.length > 0 && snap.endpointSlices.length > 0, file);
  }
});

test('read objects: every Service field the model uses is read (policies, affinity, external and load-balancer IPs, source ranges, health check port)', () => {
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
  const d = buildDesiredState(readSnapshot(snap), NODE, CONFIG);
  assert.equal(d.virtualServers.length, 8, 'four cluster IPs, an external IP, a load-balancer IP, a node port on two node addresses');
  assert.deepEqual(d.problems.map((p) => p.reason), ['headless service (service.kubernetes.io/headless label)', 'handled by another proxy (service.kubernetes.io/service-proxy-name=mesh)']);
  const vs = (address: string) => d.virtualServers.find((v) => v.vs.address === address)!;
  assert.equal(vs('10.96.0.12').vs.timeout, 60, 'affinity timeout');
  assert.deepEqual(vs('10.96.0.11').realServers.map((r) => r.address), ['10.244.1.5'], 'internal policy Local: this node\'s endpoint');
  assert.ok(vs('192.0.2.7') && vs('192.0.2.8') && !d.virtualServers.some((v) => v.vs.address === '192.0.2.9'), 'external IP, LB IP, not the Proxy-mode one');
  assert.deepEqual(d.healthChecks.map((h) => h.nodePort), [32000]);
  assert.ok(d.sets.some((set) => [...set.members].some((m) => m.includes('203.0.113.0/24'))), 'source range');
});

test('read objects: an EndpointSlice keeps only what the model reads (uid, managedFields, annotations, timestamps, targetRef and zone are not kept; zone hints are)', () => {
  const obj = fatten({
    kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-11-23T10:00:00Z', other: 'x' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' }],
  });
  assert.deepEqual(JSON.parse(JSON.stringify(new ObjectReader().endpointSlice(obj))), {
    namespace: 'shop', name: 'web-1', owner: 'web', problems: [],
    slice: {
      namespace: 'shop', name: 'web-1', service: 'web', family: 4,
      endpoints: [{ address: '10.244.1.5', ready: true, serving: true, terminating: false, nodeName: 'node-a', zoneHints: ['z1'], nodeHints: [] }],
      ports: [{ name: 'http', protocol: 'tcp', port: 8080 }],
    },
  });
});

test('read objects: each malformed object is one problem that names the field, and the others are unaffected', () => {
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
  const problems = buildDesiredState(readSnapshot(snap), NODE, CONFIG).problems;
  assert.equal(problems.length, bad.length);
  assert.ok(problems.every((p) => p.skipped && p.reason.startsWith('malformed: ')), problems.map((p) => p.reason).join('\n'));
});
