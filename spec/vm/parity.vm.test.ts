// kube-proxy parity in the VM with real clients: topology-aware routing (zone hints, PreferSameNode
// node hints, the fallback, a zone label that changes), /healthz while the Node is marked for
// deletion, and each local-traffic detection mode masquerading exactly the traffic from outside
// the pods. The proxy reads an objects file that also holds its Node object.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { get } from 'node:http';
import { TestCluster, countByPod, NODE_A_IP, type Pod } from '../../scripts/testbed/cluster.js';
import { ProxyProcess, until } from '../helpers/proxy-process.js';
import { slice, svc, type Ep } from '../helpers/objects.js';
import { resetKernel } from '../helpers/real-kernel.js';
import { tempDir } from '../helpers/temp-dir.js';

type Obj = Record<string, unknown>;
const ZONE = 'topology.kubernetes.io/zone';
let cluster: TestCluster;
let proxy: ProxyProcess | undefined;
let file: string;

interface Layout {
  zone?: string;
  /** a1 not ready */
  a1Down?: boolean;
  taint?: boolean;
}

function objects(l: Layout = {}): Obj[] {
  const [a1, b1] = ['a1', 'b1'].map((n) => cluster.pod(n)) as [Pod, Pod];
  const ep = (p: Pod, more: Partial<Ep>): Ep => ({ ip: p.ip, node: p.node, ...more });
  const node = {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a', ...(l.zone ? { [ZONE]: l.zone } : {}) } },
    spec: { podCIDRs: ['10.244.1.0/24'], ...(l.taint ? { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1733450000', effect: 'NoSchedule' }] } : {}) },
  };
  return [
    node,
    svc('zoned', { clusterIPs: ['10.96.0.60'] }),
    slice('zoned-1', 'zoned', [ep(a1, { zones: ['zone-a'], ready: !l.a1Down, serving: !l.a1Down }), ep(b1, { zones: ['zone-b'] })]),
    svc('same-node', { clusterIPs: ['10.96.0.61'] }),
    slice('same-node-1', 'same-node', [ep(a1, { zones: ['zone-b'], forNodes: ['node-a'] }), ep(b1, { zones: ['zone-b'], forNodes: ['node-b'] })]),
    svc('remote', { clusterIPs: ['10.96.0.62'] }), slice('remote-1', 'remote', [ep(b1, {})]),
  ];
}

function write(objs: Obj[]): void {
  writeFileSync(`${file}.tmp`, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }));
  renameSync(`${file}.tmp`, file);
}

async function start(flags: string[] = []): Promise<void> {
  await proxy?.stop();
  proxy = new ProxyProcess(['run', '--objects', file, '--node-name', 'node-a', '--nodeport-addresses', '192.168.100.0/24',
    '--min-sync-period', '100ms', '--sync-period', '10s', '--healthz-bind-address', '127.0.0.1:10256', '--metrics-bind-address', '', ...flags]);
  await proxy.waitForLog((l) => l.msg === 'synced', 60_000);
}

/** Which pods answer 20 requests from pod a2 to the Service, once `done` holds (the proxy follows the file within seconds), else the last. */
async function answers(vip: string, want: Record<string, number> | ((pods: string[]) => boolean)): Promise<Record<string, number>> {
  const done = typeof want === 'function' ? (c: Record<string, number>) => want(Object.keys(c).sort()) : (c: Record<string, number>) => JSON.stringify(c) === JSON.stringify(want);
  let last: Record<string, number> = {};
  await until(async () => {
    last = countByPod(await cluster.fetchFrom('a2', `http://${vip}/`, 20));
    return done(last);
  }, 15_000, `${vip} answered by ${JSON.stringify(want)}`).catch(() => undefined);
  return last;
}

const healthz = () => new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => get('http://127.0.0.1:10256/healthz', (res) => {
  let text = ''; res.on('data', (d: Buffer) => { text += d.toString(); }); res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
}).on('error', reject));

before(async () => {
  await resetKernel();
  cluster = await TestCluster.create([{ name: 'a1', node: 'node-a', n: 10 }, { name: 'a2', node: 'node-a', n: 11 }, { name: 'b1', node: 'node-b', n: 20 }]);
  file = join(tempDir('parity-'), 'objects.json');
  write(objects({ zone: 'zone-a' }));
  await start(['--cluster-cidr', '10.244.0.0/16']);
});

after(async () => {
  await proxy?.stop();
  await cluster?.destroy();
  await resetKernel();
});

test('VM parity: zone hints send every request to the endpoints of the node\'s zone; with none ready there, to the others; a changed zone label is followed', async () => {
  assert.deepEqual(await answers('10.96.0.60', { a1: 20 }), { a1: 20 }, 'zone-a: a1 only');
  write(objects({ zone: 'zone-a', a1Down: true }));
  assert.deepEqual(await answers('10.96.0.60', { b1: 20 }), { b1: 20 }, 'nothing ready in zone-a: all ready endpoints');
  write(objects({ zone: 'zone-b' }));
  assert.deepEqual(await answers('10.96.0.60', { b1: 20 }), { b1: 20 }, 'the Node moved to zone-b');
  write(objects({}));
  assert.deepEqual(Object.keys(await answers('10.96.0.60', (pods) => pods.length === 2)).sort(), ['a1', 'b1'], 'no zone label: every endpoint');
});

test('VM parity: PreferSameNode node hints keep every request on this node\'s endpoint, whatever the zone', async () => {
  write(objects({ zone: 'zone-b' }));
  assert.deepEqual(await answers('10.96.0.61', { a1: 20 }), { a1: 20 });
});

test('VM parity: /healthz answers 503 (nodeEligible false) while the Node carries the autoscaler\'s deletion taint, and 200 again without it; traffic keeps flowing', async () => {
  write(objects({ zone: 'zone-a', taint: true }));
  await until(async () => (await healthz()).status === 503, 15_000, '/healthz 503');
  assert.equal((await healthz()).body.nodeEligible, false);
  assert.deepEqual(await answers('10.96.0.60', { a1: 20 }), { a1: 20 }, 'the node still serves');
  write(objects({ zone: 'zone-a' }));
  await until(async () => (await healthz()).status === 200, 15_000, '/healthz 200 again');
  assert.equal((await healthz()).body.nodeEligible, true);
});

// Each mode: a pod's request reaches the backend on the other node with the pod's address; a
// request from the other node (outside the pods, another interface) is masqueraded to this
// node's address, without which the backend's reply would not come back through the node.
for (const [mode, flags] of [
  ['ClusterCIDR', ['--detect-local-mode', 'ClusterCIDR', '--cluster-cidr', '10.244.0.0/16']],
  ['NodeCIDR (the Node\'s podCIDRs)', ['--detect-local-mode', 'NodeCIDR']],
  ['BridgeInterface', ['--detect-local-mode', 'BridgeInterface', '--pod-bridge-interface', 'cbr0']],
  ['InterfaceNamePrefix', ['--detect-local-mode', 'InterfaceNamePrefix', '--pod-interface-name-prefix', 'cbr']],
] as const) {
  test(`VM parity: --detect-local-mode ${mode}: pod traffic to a ClusterIP keeps its source, traffic from outside the pods is masqueraded`, async () => {
    write(objects({ zone: 'zone-a' }));
    await start([...flags]);
    const a1 = cluster.pod('a1');
    const fromPod = await cluster.fetchFrom('a1', 'http://10.96.0.62/', 5);
    assert.deepEqual(countByPod(fromPod), { b1: 5 });
    assert.ok(fromPod.every((r) => r.client === a1.ip), `the pod's own address: ${JSON.stringify(fromPod)}`);
    const fromNodeB = await cluster.fetchFrom('node-b', 'http://10.96.0.62/', 5);
    assert.deepEqual(countByPod(fromNodeB), { b1: 5 });
    assert.ok(fromNodeB.every((r) => r.client === NODE_A_IP), `masqueraded to node-a: ${JSON.stringify(fromNodeB)}`);
  });
}
