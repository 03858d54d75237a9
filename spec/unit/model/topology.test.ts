// Topology-aware routing and trafficDistribution, as kube-proxy's CategorizeEndpoints
// (pkg/proxy/topology.go): zone hints and node hints narrow the cluster-wide endpoints, with
// upstream's fallbacks, and never the node-local ones. Each case is checked on the ipvsadm
// text `plan --format ipvsadm` prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelCache } from '../../../lib/model/model-cache.js';
import { readSnapshot } from '../../../lib/sources/read-objects.js';
import { CONFIG, NODE, linesFor, model, slice, svc, type Ep } from '../../helpers/objects.js';

const ZONE = 'topology.kubernetes.io/zone';
const inZone = (zone: string | undefined) => ({ node: { labels: (zone === undefined ? {} : { [ZONE]: zone }) as Record<string, string> } });
const web = (eps: Ep[], o: Parameters<typeof svc>[1] = {}) => [svc('web', o), slice('web-1', 'web', eps)];
/** the real servers of the web Service's virtual server on `vip` */
const backends = (objects: Array<Record<string, unknown>>, zone: string | undefined, vip = '10.96.0.10:80') =>
  linesFor(model(objects, inZone(zone)), vip).slice(1).map((l) => l.split(' -r ')[1]!.split(':')[0]);

const a = (ip: string, zones?: string[], more: Partial<Ep> = {}): Ep => ({ ip, node: 'node-b', ...(zones ? { zones } : {}), ...more });

test('topology: zone hints for this node\'s zone are followed; other zones\' endpoints are left out', () => {
  const objs = web([a('10.244.1.3', ['zone-a']), a('10.244.1.4', ['zone-b']), a('10.244.1.5', ['zone-c']), a('10.244.1.6', ['zone-a'])]);
  assert.deepEqual(backends(objs, 'zone-a'), ['10.244.1.3', '10.244.1.6']);
  assert.deepEqual(linesFor(model(objs, inZone('zone-a')), '10.96.0.10:80'), [
    '-A -t 10.96.0.10:80 -s rr', '-a -t 10.96.0.10:80 -r 10.244.1.3:8080 -m -w 1', '-a -t 10.96.0.10:80 -r 10.244.1.6:8080 -m -w 1']);
  assert.deepEqual(backends(objs, 'zone-b'), ['10.244.1.4']);
});

test('topology: an endpoint hinted for several zones serves each of them', () => {
  const objs = web([a('10.244.1.3', ['zone-a', 'zone-b']), a('10.244.1.4', ['zone-b']), a('10.244.1.5', ['zone-c'])]);
  assert.deepEqual(backends(objs, 'zone-a'), ['10.244.1.3']);
  assert.deepEqual(backends(objs, 'zone-b'), ['10.244.1.3', '10.244.1.4']);
});

test('topology: fallbacks to all endpoints: node without a zone label, a ready endpoint without hints, no endpoint for this zone', () => {
  const all = ['10.244.1.3', '10.244.1.4', '10.244.1.5'];
  const hinted = web([a('10.244.1.3', ['zone-a']), a('10.244.1.4', ['zone-b']), a('10.244.1.5', ['zone-c'])]);
  assert.deepEqual(backends(hinted, undefined), all, 'no zone label');
  assert.deepEqual(backends(hinted, 'zone-d'), all, 'no endpoint hinted for zone-d');
  const partly = web([a('10.244.1.3', ['zone-a']), a('10.244.1.4'), a('10.244.1.5', ['zone-c'])]);
  assert.deepEqual(backends(partly, 'zone-a'), all, 'one ready endpoint has no hints');
});

test('topology: endpoints that are not ready neither decide the mode nor get traffic', () => {
  const objs = web([a('10.244.1.3', ['zone-a']), a('10.244.1.4', undefined, { ready: false, serving: false }), a('10.244.1.5', ['zone-b'])]);
  assert.deepEqual(backends(objs, 'zone-a'), ['10.244.1.3'], 'the unhinted endpoint is not ready: hints still hold');
  const readyElsewhere = web([a('10.244.1.3', ['zone-a'], { ready: false, serving: false }), a('10.244.1.5', ['zone-b'])]);
  assert.deepEqual(backends(readyElsewhere, 'zone-a'), ['10.244.1.5'], 'nothing ready in zone-a: all ready endpoints');
});

test('topology: with no ready endpoint anywhere, the serving terminating ones are used, whatever their hints', () => {
  const objs = web([
    a('10.244.1.3', ['zone-a'], { ready: false, serving: true, terminating: true }),
    a('10.244.1.4', ['zone-b'], { ready: false, serving: true, terminating: true }),
    a('10.244.1.5', ['zone-a'], { ready: false, serving: false, terminating: true }),
  ]);
  assert.deepEqual(backends(objs, 'zone-a'), ['10.244.1.3', '10.244.1.4']);
});

test('trafficDistribution PreferSameNode: node hints for this node win over zone hints; without one for this node, zone hints apply', () => {
  const objs = (forA: string) => web([
    a('10.244.1.3', ['zone-a'], { forNodes: [forA] }), a('10.244.1.4', ['zone-a'], { forNodes: ['node-c'] }), a('10.244.1.5', ['zone-b'], { forNodes: ['node-d'] }),
  ]);
  assert.deepEqual(backends(objs(NODE.name), 'zone-a'), ['10.244.1.3'], 'this node\'s endpoint only');
  assert.deepEqual(backends(objs('node-x'), 'zone-a'), ['10.244.1.3', '10.244.1.4'], 'no node hint for this node: same zone');
  assert.deepEqual(backends(objs('node-x'), undefined), ['10.244.1.3', '10.244.1.4', '10.244.1.5'], 'and without a zone: all');
  const some = web([a('10.244.1.3', ['zone-a'], { forNodes: [NODE.name] }), a('10.244.1.4', ['zone-a']), a('10.244.1.5', ['zone-b'])]);
  assert.deepEqual(backends(some, 'zone-a'), ['10.244.1.3', '10.244.1.4'], 'node hints on only some endpoints: zone hints');
});

test('topology with traffic policies: internalTrafficPolicy Local uses this node\'s endpoints whatever the hints', () => {
  const objs = web([a('10.244.1.3', ['zone-b'], { node: NODE.name }), a('10.244.1.4', ['zone-a']), a('10.244.1.5', ['zone-a'])], { spec: { internalTrafficPolicy: 'Local' } });
  assert.deepEqual(backends(objs, 'zone-a'), ['10.244.1.3']);
});

test('topology with traffic policies: externalTrafficPolicy Local keeps node ports on local endpoints, the cluster IP follows hints; Cluster narrows node ports too', () => {
  const eps = [a('10.244.1.3', ['zone-b'], { node: NODE.name }), a('10.244.1.4', ['zone-a']), a('10.244.1.5', ['zone-b'])];
  const port = [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }];
  const local = web(eps, { type: 'NodePort', ports: port, spec: { externalTrafficPolicy: 'Local' } });
  assert.deepEqual(backends(local, 'zone-a'), ['10.244.1.4']);
  assert.deepEqual(backends(local, 'zone-a', '192.168.1.10:30080'), ['10.244.1.3']);
  const cluster = web(eps, { type: 'NodePort', ports: port });
  assert.deepEqual(backends(cluster, 'zone-a', '192.168.1.10:30080'), ['10.244.1.4']);
});

test('topology: a zone label that changes on the Node is followed by the next model update, without a restart', () => {
  const objs = web([a('10.244.1.3', ['zone-a']), a('10.244.1.4', ['zone-b'])]);
  const snapshot = readSnapshot({ services: objs.filter((o) => o.kind === 'Service'), endpointSlices: objs.filter((o) => o.kind === 'EndpointSlice') });
  const cache = new ModelCache();
  const rs = (zone: string) => cache.build(snapshot, { ...NODE, labels: { [ZONE]: zone } }, CONFIG).virtualServers
    .filter((v) => v.vs.address === '10.96.0.10').flatMap((v) => [...v.realServers].map((r) => r.address));
  assert.deepEqual(rs('zone-a'), ['10.244.1.3']);
  assert.deepEqual(rs('zone-b'), ['10.244.1.4']);
  assert.equal(cache.recomputed, 1, 'the Service was computed again for the new zone');
});

test('topology: hints are read strictly: a hint without a name makes the slice malformed, named in the problem', () => {
  const bad = [svc('web'), { ...slice('web-1', 'web', ['10.244.1.3']), endpoints: [{ addresses: ['10.244.1.3'], hints: { forZones: [{ zone: 'a' }] } }] }];
  assert.match(model(bad).problems.map((p) => p.reason).join('\n'), /endpoints\[0\]\.hints\.forZones\[0\]\.name: missing/);
});
