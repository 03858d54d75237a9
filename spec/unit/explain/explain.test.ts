// explain over the fake kernel, programmed by the proxy from real objects: the path, the
// backends that may answer and the source each sees, for each kind of traffic; and the rules
// walk on its own (quoting, unknown matches).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Proxy } from '../../../lib/runner/proxy.js';
import { ProxyMetrics } from '../../../lib/runner/metrics.js';
import { HealthState } from '../../../lib/runner/health.js';
import { MemorySource } from '../../helpers/memory-source.js';
import { CONFIG, slice, svc } from '../../helpers/objects.js';
import { fakeKernel, memoryLogger, type FakeKernel } from '../../helpers/fake-kernel.js';
import { FakeRoutes } from '../../fakes/fake-routes.js';
import { FakeConntrack } from '../../fakes/fake-conntrack.js';
import { explain, type Destination, type Explanation } from '../../../lib/explain/explain.js';
import { readKernelView, type SourceSpec } from '../../../lib/explain/read-view.js';
import { parseSavedTable, splitWords, walkChain } from '../../../lib/explain/rules.js';
import { renderExplanation } from '../../../lib/explain/render.js';
import { renderStatus } from '../../../lib/status/render.js';
import { vs as vsOf } from '../../helpers/ipvs-conformance.js';

const NODE_IP = '192.168.1.10';
const BRIDGE = '10.244.1.1';
const a1 = { ip: '10.244.1.10', node: 'node-a' };
const a2 = { ip: '10.244.1.11', node: 'node-a' };
const b1 = { ip: '10.244.2.20', node: 'node-b' };
const http = (nodePort: number) => [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort }];

let kernel: FakeKernel & { conntrack: FakeConntrack };
let proxy: Proxy;
let routes: FakeRoutes;

before(async () => {
  kernel = { ...fakeKernel(), conntrack: new FakeConntrack() };
  kernel.links.addLink('cbr0', 'bridge', [`${BRIDGE}/24`]);
  const source = new MemorySource();
  proxy = new Proxy({
    source, kernel, nodeName: 'node-a', primaryAddresses: [], config: { ...CONFIG, nodePortAddresses: ['192.168.1.0/24'] }, planOptions: { excludeCidrs: [] },
    minSyncPeriodMs: 0, syncPeriodMs: 60_000, log: memoryLogger().log, metrics: new ProxyMetrics(), health: new HealthState(60_000),
  });
  await proxy.start();
  source.set([
    svc('web', { clusterIPs: ['10.96.0.10'] }), slice('web-1', 'web', [a1, b1]),
    svc('self', { clusterIPs: ['10.96.0.50'] }), slice('self-1', 'self', [a1]),
    svc('np', { type: 'NodePort', clusterIPs: ['10.96.0.30'], ports: http(30080) }), slice('np-1', 'np', [a1, b1]),
    svc('np-local', { type: 'NodePort', clusterIPs: ['10.96.0.31'], ports: http(30081), spec: { externalTrafficPolicy: 'Local' } }), slice('np-local-1', 'np-local', [a1, b1]),
    svc('lb', { type: 'LoadBalancer', clusterIPs: ['10.96.0.40'], ports: http(30090), lbIPs: ['198.51.100.7'], spec: { loadBalancerSourceRanges: ['192.168.1.20/32'] } }), slice('lb-1', 'lb', [a1]),
    svc('ext', { clusterIPs: ['10.96.0.60'], spec: { externalIPs: ['203.0.113.9'] } }), slice('ext-1', 'ext', [b1]),
    svc('empty', { clusterIPs: ['10.96.0.70'] }), slice('empty-1', 'empty', [{ ...a1, ready: false }, { ...b1, ready: false, serving: false, terminating: true }]),
    svc('drain', { clusterIPs: ['10.96.0.80'] }), slice('drain-1', 'drain', [a1, b1]),
  ]);
  const programmed = async () => kernel.ipvs.save().includes('10.96.0.80:80');
  for (let i = 0; i < 200 && !(await programmed()); i++) await sleep(5);
  // b1 terminates while it still has a connection: it drains at weight 0
  kernel.ipvs.setConnections(vsOf({ address: '10.96.0.80', port: 80 }), { address: b1.ip, port: 8080 }, 1, 0);
  source.apply(slice('drain-1', 'drain', [a1, { ...b1, ready: false, serving: false, terminating: true }]));
  for (let i = 0; i < 200 && !/10\.244\.2\.20:8080.*-w 0/.test(kernel.ipvs.save().split('\n').filter((l) => l.includes('10.96.0.80') || l.includes('-a -t 10.96.0.80')).join('\n')); i++) await sleep(5);
  routes = new FakeRoutes(async () => (await kernel.links.listLocalAddresses()).map((a) => a.address), [
    { prefix: '10.244.1.0/24', device: 'cbr0', source: BRIDGE },
    { prefix: '10.244.2.0/24', device: 'eth0', source: NODE_IP, gateway: '192.168.1.2' },
    { prefix: '0.0.0.0/0', device: 'eth0', source: NODE_IP, gateway: '192.168.1.1' },
  ]);
});

after(async () => { await proxy.stop(); });

const tcp = (address: string, port = 80): Destination => ({ protocol: 'tcp', address, port });
const from = (address: string): SourceSpec => ({ kind: 'address', address, label: `client ${address}` });
async function why(dest: Destination, source: SourceSpec): Promise<Explanation> {
  const { view, source: s } = await readKernelView(kernel, routes, dest, source);
  return explain(view, s, dest, await proxy.status({ address: dest.address }));
}
const seen = (e: Explanation) => Object.fromEntries(e.realServers.filter((r) => r.state === 'may answer').map((r) => [r.address, r.seesSource]));

test('explain: a pod to a ClusterIP is accepted by the KUBE-CLUSTER-IP rule, not masqueraded, and may reach every endpoint', async () => {
  const e = await why(tcp('10.96.0.10'), from(a2.ip));
  assert.equal(e.answers, true, e.verdict);
  assert.deepEqual(seen(e), { [a1.ip]: a2.ip, [b1.ip]: a2.ip });
  assert.deepEqual(e.service, { namespace: 'default', name: 'web', port: 'http', role: 'cluster-ip' });
  assert.ok(e.steps.some((s) => s.chain === 'KUBE-SERVICES' && s.effect === 'ACCEPT (KUBE-CLUSTER-IP holds 10.96.0.10,tcp:80)'), renderExplanation(e));
  assert.equal(e.source.inInterface, 'cbr0');
  assert.deepEqual(e.unknownRules, []);
});

test('explain: the node itself to a ClusterIP sends from the ClusterIP and is masqueraded to the address towards each backend', async () => {
  const e = await why(tcp('10.96.0.10'), { kind: 'node' });
  assert.equal(e.source.address, '10.96.0.10');
  assert.deepEqual(seen(e), { [a1.ip]: BRIDGE, [b1.ip]: NODE_IP });
  assert.match(e.realServers[0]!.masquerade!, /the source is not a local pod's \(! -s 10\.244\.0\.0\/16\)/);
});

test('explain: hairpin, a pod reaching itself through its Service, is masqueraded by KUBE-LOOP-BACK', async () => {
  const e = await why(tcp('10.96.0.50'), from(a1.ip));
  assert.deepEqual(seen(e), { [a1.ip]: BRIDGE });
  assert.match(e.verdict, /hairpin/);
});

test('explain: NodePort from another host: Cluster policy masquerades to any endpoint; Local policy keeps the client address, local endpoint only', async () => {
  const cluster = await why(tcp(NODE_IP, 30080), from('192.168.1.20'));
  assert.deepEqual(seen(cluster), { [a1.ip]: BRIDGE, [b1.ip]: NODE_IP });
  assert.match(cluster.verdict, /NodePort traffic with externalTrafficPolicy Cluster/);
  const local = await why(tcp(NODE_IP, 30081), from('192.168.1.20'));
  assert.deepEqual(seen(local), { [a1.ip]: '192.168.1.20' });
});

test('explain: a load-balancer IP drops a source outside its ranges and serves one inside, masqueraded', async () => {
  const denied = await why(tcp('198.51.100.7'), from(a2.ip));
  assert.equal(denied.answers, false);
  assert.match(denied.verdict, /^Dropped in filter INPUT by KUBE-SOURCE-RANGES-FIREWALL: 10\.244\.1\.11 is not in/);
  const allowed = await why(tcp('198.51.100.7'), from('192.168.1.20'));
  assert.deepEqual(seen(allowed), { [a1.ip]: BRIDGE });
  const node = await why(tcp('198.51.100.7'), { kind: 'node' });
  assert.match(node.verdict, /KUBE-IPVS-OUT-FILTER/);
});

test('explain: an external IP with policy Cluster is masqueraded', async () => {
  const e = await why(tcp('203.0.113.9'), from('192.168.1.20'));
  assert.deepEqual(seen(e), { [b1.ip]: NODE_IP });
  assert.match(e.verdict, /external IP traffic/);
});

test('explain: no ready endpoint: refused, and the proxy says why', async () => {
  const e = await why(tcp('10.96.0.70'), from(a2.ip));
  assert.equal(e.answers, false);
  assert.equal(e.verdict, 'No answer (connection refused): 0 of 2 endpoints are ready, 1 terminating.');
  assert.deepEqual(e.backends, []);
});

test('explain: a draining endpoint is listed at weight 0 and takes no new connection', async () => {
  const e = await why(tcp('10.96.0.80'), from(a2.ip));
  assert.deepEqual(e.backends, [a1.ip]);
  const b = e.realServers.find((r) => r.address === b1.ip)!;
  assert.deepEqual([b.state, b.weight, b.activeConnections], ['draining', 0, 1]);
});

test('explain: a port no Service has on a Service address is rejected by KUBE-IPVS-FILTER; an address not on this node is not delivered', async () => {
  const e = await why(tcp('10.96.0.10', 2222), from(a2.ip));
  assert.match(e.verdict, /^Rejected in filter INPUT by KUBE-IPVS-FILTER/);
  const gone = await why(tcp('10.96.5.5'), from(a2.ip));
  assert.match(gone.verdict, /10\.96\.5\.5 is not an address of this node \(not bound on kube-ipvs0 nor any other link\)/);
});

test('explain: a foreign virtual server is named as not programmed by ipvs-proxy', async () => {
  await kernel.ipvs.addVirtualServer(vsOf({ address: '192.168.1.10', port: 9999 }));
  const e = await why(tcp(NODE_IP, 9999), { kind: 'node' });
  assert.equal(e.virtualServer?.ours, false);
  assert.match(renderExplanation(e), /another IPVS user's/);
});

test('status: the whole node counts each virtual server\'s real servers; one Service lists them with nodes and drains; the why of one without real servers', async () => {
  const r = await proxy.status();
  const text = renderStatus(r);
  assert.match(text, /^default\/drain \(ClusterIP\)$/m);
  assert.match(text, /^ {4}TCP 10\.96\.0\.80:80 rr \(cluster-ip\).*\n {6}1 serving, 1 draining; active 1, inactive 0$/m);
  assert.match(text, /no serving real server: 0 of 2 endpoints are ready, 1 terminating/);
  assert.ok(r.lastSync?.ok);
  assert.deepEqual(r.services.map((s) => s.name), ['drain', 'empty', 'ext', 'lb', 'np', 'np-local', 'self', 'web']);
  assert.deepEqual(r.otherVirtualServers.map((v) => v.key), ['TCP 192.168.1.10:9999']);
  const calls = kernel.ipvs.calls.length;
  const one = await proxy.status({ service: 'default/drain' });
  assert.deepEqual(one.services.map((s) => s.name), ['drain']);
  assert.deepEqual(one.otherVirtualServers, []);
  assert.ok(!kernel.ipvs.calls.slice(calls).includes('list virtual servers'), 'one Service: no dump of the whole table');
  assert.match(renderStatus(one), /-> 10\.244\.2\.20:8080 +weight 0 {2}active 1 {2}inactive 0 {2}node node-b {2}draining/);
});

test('rules walk: quoted comments are one word; a KUBE-* rule with an unknown match is reported, not guessed', () => {
  assert.deepEqual(splitWords('-A X -m comment --comment "a \\"b\\" c" -j RETURN'), ['-A', 'X', '-m', 'comment', '--comment', 'a "b" c', '-j', 'RETURN']);
  const t = parseSavedTable('*nat\n-A PREROUTING -j KUBE-SERVICES\n-A PREROUTING -j OTHER\n-A KUBE-SERVICES -m statistic --mode random -j DROP\n-A KUBE-SERVICES -d 10.0.0.0/8 -j ACCEPT\nCOMMIT\n');
  const r = walkChain(t, 'nat', 'PREROUTING', { protocol: 'tcp', source: '1.2.3.4', destination: '10.1.2.3', sourcePort: undefined, destinationPort: 80, inInterface: 'eth0', bridged: false, ipvs: undefined },
    { sets: new Map(), isLocal: () => false });
  assert.equal(r.verdict, 'ACCEPT');
  assert.deepEqual(r.unknown, ['-A KUBE-SERVICES -m statistic --mode random -j DROP (match --mode)']);
});
