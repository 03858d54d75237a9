// explain's predictions against what the backends really saw, in the VM: for each traffic case of
// the e2e suite, `ipvs-proxy explain` (a process, as an operator runs it, reading the live kernel
// and the running proxy's /status) says whether a new connection is answered, by which backends,
// and which source address each backend sees; then real clients connect and the pods report who
// answered and the client address they saw. Any mismatch fails. Also `status`, live and from the
// kernel alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { TestCluster, NODE_A_IP, NODE_B_IP, type Pod, type Reply } from '../../scripts/testbed/cluster.js';
import { ProxyProcess, until } from '../helpers/proxy-process.js';
import { slice, svc } from '../helpers/objects.js';
import { exec, run } from '../helpers/exec.js';
import { resetKernel } from '../helpers/real-kernel.js';
import type { Explanation } from '../../lib/explain/explain.js';
import type { StatusReport } from '../../lib/status/report.js';
import { tempDir } from '../helpers/temp-dir.js';

type Obj = Record<string, unknown>;
const METRICS = '127.0.0.1:10251';
let cluster: TestCluster;
let proxy: ProxyProcess | undefined;
let file: string;

const ep = (p: Pod, o: { ready?: boolean; serving?: boolean; terminating?: boolean } = {}) => ({ ip: p.ip, node: p.node, ...o });
const http = (nodePort?: number) => [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, ...(nodePort ? { nodePort } : {}) }];

function objects(drain: 'serving' | 'terminating' = 'serving'): Obj[] {
  const [a1, a2, b1] = ['a1', 'a2', 'b1'].map((n) => cluster.pod(n)) as [Pod, Pod, Pod];
  return [
    svc('web', { clusterIPs: ['10.96.0.10'] }), slice('web-1', 'web', [ep(a1), ep(b1)]),
    svc('self', { clusterIPs: ['10.96.0.50'] }), slice('self-1', 'self', [ep(a1)]),
    svc('np', { type: 'NodePort', clusterIPs: ['10.96.0.30'], ports: http(30080) }), slice('np-1', 'np', [ep(a1), ep(b1)]),
    svc('np-local', { type: 'NodePort', clusterIPs: ['10.96.0.31'], ports: http(30081), spec: { externalTrafficPolicy: 'Local' } }), slice('np-local-1', 'np-local', [ep(a1), ep(b1)]),
    svc('ext', { clusterIPs: ['10.96.0.60'], spec: { externalIPs: ['203.0.113.9'] } }), slice('ext-1', 'ext', [ep(a2), ep(b1)]),
    svc('lb', { type: 'LoadBalancer', clusterIPs: ['10.96.0.40'], ports: http(30090), lbIPs: ['198.51.100.7'], spec: { loadBalancerSourceRanges: [`${NODE_B_IP}/32`] } }), slice('lb-1', 'lb', [ep(a1)]),
    svc('empty', { clusterIPs: ['10.96.0.70'] }), slice('empty-1', 'empty', [ep(a1, { ready: false }), ep(b1, { ready: false, serving: false, terminating: true })]),
    svc('drain', { clusterIPs: ['10.96.0.80'] }),
    slice('drain-1', 'drain', drain === 'serving' ? [ep(b1)] : [ep(a2), ep(b1, { ready: false, serving: false, terminating: true })]),
  ];
}

function write(objs: Obj[]): void {
  writeFileSync(`${file}.tmp`, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }));
  renameSync(`${file}.tmp`, file);
}

const cli = (...args: string[]) => exec('bin/ipvs-proxy', args);

async function explainJson(dest: string, from: string): Promise<Explanation> {
  const r = await cli('explain', dest, '--from', from, '--output', 'json', '--metrics-bind-address', METRICS, '--cluster-cidr', '10.244.0.0/16');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Explanation;
}

const fromHost = (url: string) => new Promise<Reply>((resolve) => {
  get(url, { agent: false, timeout: 2000 }, (res) => {
    let body = '';
    res.on('data', (d: Buffer) => { body += d.toString(); });
    res.on('end', () => resolve(JSON.parse(body) as Reply));
  }).on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }))
    .on('timeout', function (this: { destroy(e: Error): void }) { this.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })); });
});

/**
 * The prediction against the replies: every reply (or every failure) as predicted, each answering
 * backend among those predicted and seeing the predicted source; with `all`, every predicted backend answered.
 */
function agree(e: Explanation, replies: readonly Reply[], all: boolean): void {
  const what = `${e.verdict}\nreplies: ${JSON.stringify(replies)}`;
  if (!e.answers) {
    assert.ok(replies.every((r) => r.error !== undefined), `predicted no answer: ${what}`);
    return;
  }
  assert.ok(replies.every((r) => r.pod !== undefined), `predicted answers: ${what}`);
  const answered = new Set<string>();
  for (const r of replies) {
    const ip = cluster.pod(r.pod!).ip;
    answered.add(ip);
    const rs = e.realServers.find((x) => x.address === ip);
    assert.ok(rs && e.backends.includes(ip), `${r.pod} (${ip}) answered, not predicted: ${what}`);
    assert.equal(r.client, rs.seesSource, `${r.pod} saw ${r.client}, predicted ${rs.seesSource}: ${what}`);
  }
  if (all) assert.deepEqual([...answered].sort(), [...e.backends].sort(), what);
}

before(async () => {
  await resetKernel();
  cluster = await TestCluster.create([{ name: 'a1', node: 'node-a', n: 10 }, { name: 'a2', node: 'node-a', n: 11 }, { name: 'b1', node: 'node-b', n: 20 }]);
  for (const ip of ['203.0.113.9', '198.51.100.7']) await run('ip', '-n', 'tc-node-b', 'route', 'add', `${ip}/32`, 'via', NODE_A_IP);
  file = join(tempDir('explain-'), 'objects.json');
  write(objects());
  proxy = new ProxyProcess(['run', '--objects', file, '--node-name', 'node-a', '--cluster-cidr', '10.244.0.0/16', '--ip-families', '4',
    '--nodeport-addresses', '192.168.100.0/24', '--min-sync-period', '100ms', '--sync-period', '30s',
    '--healthz-bind-address', '127.0.0.1:10257', '--metrics-bind-address', METRICS, '--log-level', 'info']);
  await proxy.waitForLog((l) => l.msg === 'synced', 60_000);
  // the firewall rules and sets are written in the same sync as the virtual servers; wait for the last of them
  await until(async () => (await run('iptables-save', '-t', 'filter')).includes('-A KUBE-IPVS-OUT-FILTER -s 198.51.100.7/32'), 10_000, 'OUT-FILTER rule');
});

after(async () => {
  await proxy?.stop();
  await cluster?.destroy();
  await resetKernel();
});

test('VM explain: a pod to a ClusterIP: answered by every endpoint, each seeing the pod\'s own address', async () => {
  const e = await explainJson('10.96.0.10:80', cluster.pod('a2').ip);
  assert.equal(e.service?.name, 'web');
  agree(e, await cluster.fetchFrom('a2', 'http://10.96.0.10/', 12), true);
});

test('VM explain: the node to a ClusterIP: masqueraded, each backend sees the address of the interface towards it', async () => {
  const e = await explainJson('10.96.0.10:80', 'node');
  assert.ok(e.realServers.every((r) => r.masquerade !== undefined), e.verdict);
  const replies: Reply[] = [];
  for (let i = 0; i < 12; i++) replies.push(await fromHost('http://10.96.0.10/'));
  agree(e, replies, true);
});

test('VM explain: hairpin through KUBE-LOOP-BACK: the pod reaches itself and sees the bridge address', async () => {
  const e = await explainJson('10.96.0.50:80', cluster.pod('a1').ip);
  assert.match(e.verdict, /hairpin/);
  agree(e, await cluster.fetchFrom('a1', 'http://10.96.0.50/', 4), true);
});

test('VM explain: NodePort from the other node, externalTrafficPolicy Cluster and Local; conntrack shows the rewritten source', async () => {
  const cluster4 = await explainJson(`${NODE_A_IP}:30080`, NODE_B_IP);
  agree(cluster4, await cluster.fetchFrom('node-b', `http://${NODE_A_IP}:30080/`, 12), true);
  const local = await explainJson(`${NODE_A_IP}:30081`, NODE_B_IP);
  assert.deepEqual(local.backends, [cluster.pod('a1').ip]);
  agree(local, await cluster.fetchFrom('node-b', `http://${NODE_A_IP}:30081/`, 6), true);
  // the flows just made: conntrack's reply direction goes to the address explain said the backend sees
  const after = await explainJson(`${NODE_A_IP}:30080`, NODE_B_IP);
  const mine = after.flows.filter((f) => f.original.source === NODE_B_IP);
  assert.ok(mine.length > 0, 'conntrack entries of the flows');
  for (const f of mine) assert.equal(f.reply.destination, after.realServers.find((r) => r.address === f.reply.source)?.seesSource, f.text);
});

test('VM explain: an external IP from the other node (policy Cluster): masqueraded', async () => {
  const e = await explainJson('203.0.113.9:80', NODE_B_IP);
  agree(e, await cluster.fetchFrom('node-b', 'http://203.0.113.9/', 12), true);
});

test('VM explain: a load-balancer IP with source ranges: the allowed node is served, a pod and the node itself are dropped', async () => {
  const allowed = await explainJson('198.51.100.7:80', NODE_B_IP);
  assert.equal(allowed.answers, true, allowed.verdict);
  agree(allowed, await cluster.fetchFrom('node-b', 'http://198.51.100.7/', 3), true);
  const pod = await explainJson('198.51.100.7:80', cluster.pod('a2').ip);
  assert.match(pod.verdict, /^Dropped in filter INPUT by KUBE-SOURCE-RANGES-FIREWALL/);
  agree(pod, await cluster.fetchFrom('a2', 'http://198.51.100.7/', 1), true);
  const node = await explainJson('198.51.100.7:80', 'node');
  assert.match(node.verdict, /KUBE-IPVS-OUT-FILTER/);
  agree(node, [await fromHost('http://198.51.100.7/')], true);
});

test('VM explain: a Service with no ready endpoints: refused, with the reason from the proxy', async () => {
  const e = await explainJson('10.96.0.70:80', cluster.pod('a2').ip);
  assert.equal(e.verdict, 'No answer (connection refused): 0 of 2 endpoints are ready, 1 terminating.');
  const replies = await cluster.fetchFrom('a2', 'http://10.96.0.70/', 2);
  agree(e, replies, true);
  assert.deepEqual(replies.map((r) => r.error), ['ECONNREFUSED', 'ECONNREFUSED']);
});

test('VM explain: a draining endpoint (terminating with an open connection) stays at weight 0 and gets no new connection', async () => {
  // an open connection to b1 through the Service, then b1 terminates and a2 takes over
  const sock: Socket = connect(80, '10.96.0.80');
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  try {
    write(objects('terminating'));
    const b1 = cluster.pod('b1').ip;
    const e = await until(async () => {
      const x = await explainJson('10.96.0.80:80', cluster.pod('a1').ip);
      return x.realServers.some((r) => r.address === b1 && r.state === 'draining') && x.backends.length === 1 ? x : undefined;
    }, 10_000, 'b1 draining');
    assert.deepEqual(e.backends, [cluster.pod('a2').ip]);
    assert.equal(e.realServers.find((r) => r.address === b1)!.activeConnections, 1);
    agree(e, await cluster.fetchFrom('a1', 'http://10.96.0.80/', 8), true);
    // status names the drain too
    const s = await cli('status', 'default/drain', '--metrics-bind-address', METRICS);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, new RegExp(`-> ${b1.replace(/\./g, '\\.')}:8080 +weight 0  active 1  inactive 0  node node-b  draining`));
  } finally {
    sock.destroy();
    write(objects());
  }
});

test('VM status: the running proxy\'s report (JSON) matches the kernel; without a proxy, the kernel alone is shown', async () => {
  const whole = JSON.parse((await cli('status', '--output', 'json', '--metrics-bind-address', METRICS)).stdout) as StatusReport;
  // the whole node: each virtual server's real servers counted, not listed
  const webWhole = whole.services.find((s) => s.name === 'web')?.ports[0]?.virtualServers[0];
  assert.equal(webWhole?.counts.serving, 2);
  assert.equal(webWhole?.realServers, undefined);
  const r = await cli('status', 'default/web', '--output', 'json', '--metrics-bind-address', METRICS);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as StatusReport;
  assert.equal(report.from, 'proxy');
  assert.ok(report.lastSync?.ok);
  const web = report.services.find((s) => s.name === 'web')!;
  const vs = web.ports[0]!.virtualServers[0]!;
  assert.equal(vs.key, 'TCP 10.96.0.10:80');
  assert.deepEqual(vs.realServers!.map((x) => `${x.address} ${x.node}`).sort(), [`${cluster.pod('a1').ip} node-a`, `${cluster.pod('b1').ip} node-b`]);
  // the counters are the kernel's: at least the 24 connections the tests above made to it
  assert.ok(vs.stats!.connections >= 24, JSON.stringify(vs.stats));
  const ipvsadm = await run('ipvsadm', '-Ln', '-t', '10.96.0.10:80');
  for (const x of vs.realServers!) assert.match(ipvsadm, new RegExp(`${x.address.replace(/\./g, '\\.')}:8080`));
  await proxy!.stop('SIGTERM');
  proxy = undefined;
  const alone = await cli('status', '--metrics-bind-address', METRICS);
  assert.equal(alone.code, 0, alone.stderr);
  assert.match(alone.stdout, /^from the kernel alone/);
  assert.match(alone.stdout, /^ {2}TCP 10\.96\.0\.10:80 rr/m);
  const named = await cli('explain', 'default/web', '--from', 'node', '--metrics-bind-address', METRICS);
  assert.equal(named.code, 2);
  assert.match(named.stderr, /no ipvs-proxy answers at 127\.0\.0\.1:10251 to name default\/web: give its ADDRESS:PORT/);
});
