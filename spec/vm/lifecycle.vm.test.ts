// Lifecycle and safety in the VM, with real traffic: restarts and takeover without a failed
// request, ownership-safe cleanup, and upstream IPVS-mode bugs that must not come back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { TestCluster, NODE_A_IP, NODE_B_IP, type Pod, type Reply } from '../../scripts/testbed/cluster.js';
import { ProxyProcess, until } from '../helpers/proxy-process.js';
import { slice, svc } from '../helpers/objects.js';
import { exec, run } from '../helpers/exec.js';
import { resetKernel } from '../helpers/real-kernel.js';
import { NetlinkIpvs } from '../../lib/kernel/ipvs/netlink-ipvs.js';
import { vs, rs } from '../helpers/ipvs-conformance.js';
import { tempDir } from '../helpers/temp-dir.js';

type Obj = Record<string, unknown>;
let cluster: TestCluster;
let file: string;
let ipvs: NetlinkIpvs;
let proxy: ProxyProcess | undefined;
let hostPort: Server;
const ep = (p: Pod) => ({ ip: p.ip, node: p.node });
const ARGS = () => ['run', '--objects', file, '--node-name', 'node-a', '--cluster-cidr', '10.244.0.0/16', '--nodeport-addresses', '192.168.100.0/24',
  '--min-sync-period', '100ms', '--sync-period', '3s', '--healthz-bind-address', '127.0.0.1:10256', '--metrics-bind-address', '', '--ip-families', '4'];

function write(objs: Obj[]): void {
  writeFileSync(`${file}.tmp`, JSON.stringify({ kind: 'List', items: objs }));
  renameSync(`${file}.tmp`, file);
}
function base(): Obj[] {
  const [a1, a2, b1] = ['a1', 'a2', 'b1'].map((n) => cluster.pod(n)) as [Pod, Pod, Pod];
  return [svc('web', { clusterIPs: ['10.96.0.10'] }), slice('web-1', 'web', [ep(a1), ep(a2), ep(b1)]),
    svc('dns', { clusterIPs: ['10.96.0.53'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }), slice('dns-1', 'dns', [ep(a1), ep(b1)], { ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }] })];
}
async function startProxy(): Promise<ProxyProcess> {
  const p = new ProxyProcess(ARGS());
  await p.waitForLog((l) => l.msg === 'synced', 60_000);
  return p;
}
const weights = async (address: string, port: number) => {
  try { return Object.fromEntries((await ipvs.listRealServers(vs({ address, port }))).map((r) => [r.address, r.weight])); } catch { return {}; }
};
/** Whether a TCP connection from the node (this process) gets established within 3 s. */
const connects = (host: string, port: number) => new Promise<boolean>((resolve) => {
  const s = connect({ host, port, timeout: 3000 }, () => { s.destroy(); resolve(true); });
  s.on('timeout', () => { s.destroy(); resolve(false); });
  s.on('error', () => resolve(false));
});

/** Requests from a pod in a loop until stopped; every reply kept. */
function traffic(from: string, url: string) {
  let stop = false;
  const replies: Reply[] = [];
  const done = (async () => { while (!stop) replies.push(...await cluster.fetchFrom(from, url, 1)); })();
  return { replies, stop: async () => { stop = true; await done; } };
}

before(async () => {
  await resetKernel();
  cluster = await TestCluster.create([{ name: 'a1', node: 'node-a', n: 10 }, { name: 'a2', node: 'node-a', n: 11 }, { name: 'b1', node: 'node-b', n: 20 }]);
  file = join(tempDir('life-'), 'objects.json');
  ipvs = await NetlinkIpvs.open();
  // A host service on 0.0.0.0:2222, like sshd (#72236).
  hostPort = createServer((s) => s.end('host\n')).listen(2222, '0.0.0.0');
});

after(async () => {
  await proxy?.stop();
  hostPort?.close();
  ipvs?.close();
  await cluster?.destroy();
  await resetKernel();
});

test('VM lifecycle: taking over a kube-proxy-style state made by hand (ipvsadm, ipset, iptables-restore) without a failed request; a weight left at 0 is restored (#92019); a stale Service removed', async (t) => {
  write(base());
  const plan = async (format: string) => (await exec('bin/ipvs-proxy', ['plan', '--objects', file, '--node-name', 'node-a', '--cluster-cidr', '10.244.0.0/16', '--ip-families', '4', '--format', format])).stdout;
  // kube-proxy's state, by hand: the same names, one real server stuck at weight 0, and a Service that no longer exists
  const ipvsadmRules = (await plan('ipvsadm')).replace('-r 10.244.1.11:8080 -m -w 1', '-r 10.244.1.11:8080 -m -w 0') + '-A -t 10.96.0.99:80 -s rr\n-a -t 10.96.0.99:80 -r 10.244.1.10:8080 -m -w 1\n';
  assert.equal((await exec('ipvsadm', ['-R'], { input: ipvsadmRules })).code, 0);
  assert.equal((await exec('ipset', ['restore'], { input: `${await plan('ipset')}add KUBE-CLUSTER-IP 10.96.0.99,tcp:80\nadd KUBE-IPVS-IPS 10.96.0.99\n` })).code, 0);
  assert.equal((await exec('iptables-restore', ['--noflush'], { input: await plan('iptables') })).code, 0);
  await run('sysctl', '-qw', 'net.ipv4.vs.conntrack=1', 'net.ipv4.vs.expire_nodest_conn=1'); // as kube-proxy sets them
  await run('ip', 'link', 'add', 'kube-ipvs0', 'type', 'dummy');
  for (const a of ['10.96.0.10', '10.96.0.53', '10.96.0.99']) await run('ip', 'addr', 'add', `${a}/32`, 'dev', 'kube-ipvs0');
  assert.deepEqual(await weights('10.96.0.10', 80), { '10.244.1.10': 1, '10.244.1.11': 0, '10.244.2.20': 1 });

  const load = traffic('a1', 'http://10.96.0.10/');
  await until(() => load.replies.length >= 10, 10_000, 'traffic flowing before the takeover');
  proxy = await startProxy();
  const first = proxy.logs.find((l) => l.msg === 'synced')!;
  await until(async () => (await weights('10.96.0.10', 80))['10.244.1.11'] === 1, 5000, 'weight restored');
  await until(async () => !(await ipvs.listVirtualServers()).some((v) => v.address === '10.96.0.99'), 5000, 'stale Service removed');
  const n = load.replies.length;
  await until(() => load.replies.length >= n + 10, 10_000, 'traffic after the takeover');
  await load.stop();
  assert.deepEqual(load.replies.filter((r) => r.error), [], `no failed request across the takeover (${load.replies.length} requests)`);
  t.diagnostic(`takeover: ${load.replies.length} requests, 0 failed; first sync applied ${String(first.operations)} operations`);
  assert.ok((first.operations as number) < 20, `only the diff applied (${String(first.operations)} operations), no flush`);
  assert.doesNotMatch(await run('ip', 'addr', 'show', 'kube-ipvs0'), /10\.96\.0\.99/);
});

test('VM lifecycle: SIGKILL and restart under continuous requests: zero failed requests', async (t) => {
  const load = traffic('a2', 'http://10.96.0.10/');
  await until(() => load.replies.length >= 10, 10_000, 'traffic');
  await proxy!.stop('SIGKILL');
  const during = load.replies.length;
  await until(() => load.replies.length >= during + 10, 10_000, 'traffic while no proxy runs');
  proxy = await startProxy();
  const again = load.replies.length;
  await until(() => load.replies.length >= again + 10, 10_000, 'traffic after the restart');
  await load.stop();
  assert.deepEqual(load.replies.filter((r) => r.error), [], `${load.replies.length} requests`);
  t.diagnostic(`SIGKILL and restart: ${load.replies.length} requests, 0 failed`);
});

test('VM regression #72236: a host service on 0.0.0.0 is not reachable through a ClusterIP (REJECT), the Service port is', async () => {
  const viaVip = await cluster.fetchFrom('a1', 'http://10.96.0.10:2222/', 1);
  assert.equal(viaVip[0]!.error, 'ECONNREFUSED', JSON.stringify(viaVip));
  assert.ok((await cluster.fetchFrom('a1', 'http://10.96.0.10/', 3)).every((r) => r.pod));
});

test('VM regression #93175: an externalIP equal to a node IP is served but not bound to kube-ipvs0; the node stays reachable', async () => {
  const [a1] = ['a1'].map((n) => cluster.pod(n)) as [Pod];
  write([...base(), svc('ext', { clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 8081, targetPort: 8080 }], spec: { externalIPs: [NODE_A_IP] } }), slice('ext-1', 'ext', [ep(a1)])]);
  await until(async () => (await weights(NODE_A_IP, 8081))[a1.ip] === 1, 5000, 'externalIP virtual server');
  assert.doesNotMatch(await run('ip', 'addr', 'show', 'kube-ipvs0'), new RegExp(`${NODE_A_IP.replace(/\./g, '\\.')}/`));
  assert.equal((await cluster.fetchFrom('node-b', `http://${NODE_A_IP}:8081/`, 2))[0]!.pod, 'a1');
  // the node's own address still answers its own services (here the host's port 2222)
  const r = await exec('ip', ['netns', 'exec', 'tc-node-b', 'bash', '-c', `exec 3<>/dev/tcp/${NODE_A_IP}/2222 && head -1 <&3`]);
  assert.equal(r.stdout.trim(), 'host', r.stderr);
});

test('VM regression #80158/#65263: a shared externalIP stays bound while one Service keeps it; a multi-port Service losing a port keeps its address', async () => {
  const [a1, b1] = ['a1', 'b1'].map((n) => cluster.pod(n)) as [Pod, Pod];
  const shared = (ports: number[]) => svc('multi', { clusterIPs: ['10.96.0.30'], ports: ports.map((p) => ({ name: `p${p}`, port: p, targetPort: 8080 })), spec: { externalIPs: ['203.0.113.5'] } });
  const multiSlice = (ports: number[]) => slice('multi-1', 'multi', [ep(a1)], { ports: ports.map((p) => ({ name: `p${p}`, port: 8080 })) });
  const other = [svc('other', { clusterIPs: ['10.96.0.31'], ports: [{ name: 'http', port: 9090, targetPort: 8080 }], spec: { externalIPs: ['203.0.113.5'] } }), slice('other-1', 'other', [ep(b1)], { ports: [{ name: 'http', port: 8080 }] })];
  await run('ip', '-n', 'tc-node-b', 'route', 'add', '203.0.113.5/32', 'via', NODE_A_IP);
  write([...base(), shared([80, 81]), multiSlice([80, 81]), ...other]);
  await until(async () => (await weights('203.0.113.5', 9090))[b1.ip] === 1 && (await weights('203.0.113.5', 81))[a1.ip] === 1, 5000, 'both Services on the shared externalIP');
  write([...base(), shared([80]), multiSlice([80]), ...other]); // multi loses port 81
  await until(async () => !(await ipvs.listVirtualServers()).some((v) => v.address === '203.0.113.5' && v.port === 81), 5000, 'port 81 gone');
  assert.equal((await cluster.fetchFrom('node-b', 'http://203.0.113.5:80/', 1))[0]!.pod, 'a1');
  write([...base(), ...other]); // multi deleted; other still uses the address
  await until(async () => !(await ipvs.listVirtualServers()).some((v) => v.address === '203.0.113.5' && v.port === 80), 5000, 'multi gone');
  assert.match(await run('ip', 'addr', 'show', 'kube-ipvs0'), /203\.0\.113\.5\/32/);
  assert.equal((await cluster.fetchFrom('node-b', 'http://203.0.113.5:9090/', 1))[0]!.pod, 'b1');
  write(base());
  await until(async () => !(await run('ip', 'addr', 'show', 'kube-ipvs0')).includes('203.0.113.5/'), 5000, 'unbound with its last user');
});

test('VM regression #71514: a removed UDP endpoint is deleted at once and its conntrack entries removed', async () => {
  const b1 = cluster.pod('b1');
  await cluster.udpFrom('a2', '10.96.0.53', 53, 6);
  const entries = async () => (await exec('conntrack', ['-L', '-p', 'udp', '--orig-dst', '10.96.0.53', '--reply-src', b1.ip])).stdout.trim();
  assert.notEqual(await entries(), '', 'flows answered by b1 exist');
  write([base()[0]!, base()[1]!, base()[2]!, slice('dns-1', 'dns', [ep(cluster.pod('a1'))], { ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }] })]);
  await until(async () => !(Object.keys(await (async () => { try { return Object.fromEntries((await ipvs.listRealServers(vs({ address: '10.96.0.53', port: 53, protocol: 'udp' }))).map((r) => [r.address, 1])); } catch { return {}; } })()).includes(b1.ip)), 5000, 'b1 deleted');
  await until(async () => (await entries()) === '', 5000, 'conntrack entries of b1 removed');
  assert.ok((await cluster.udpFrom('a2', '10.96.0.53', 53, 4)).every((r) => r.pod === 'a1'));
  write(base());
});

test('VM regression #119656: loadBalancerSourceRanges also hold for node-local clients (OUT-FILTER) and for pods; an allowed node passes', async () => {
  const a1 = cluster.pod('a1');
  await run('ip', '-n', 'tc-node-b', 'route', 'add', '198.51.100.7/32', 'via', NODE_A_IP);
  write([...base(), svc('lb', { type: 'LoadBalancer', clusterIPs: ['10.96.0.40'], ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30090 }], lbIPs: ['198.51.100.7'],
    spec: { loadBalancerSourceRanges: [`${NODE_B_IP}/32`] } }), slice('lb-1', 'lb', [ep(a1)])]);
  await until(async () => (await weights('198.51.100.7', 80))[a1.ip] === 1, 5000, 'LB virtual server');
  // the firewall rules are written after the virtual servers, in the same sync
  await until(async () => (await run('iptables-save', '-t', 'filter')).includes('-A KUBE-IPVS-OUT-FILTER -s 198.51.100.7/32'), 5000, 'OUT-FILTER rule');
  assert.equal((await cluster.fetchFrom('node-b', 'http://198.51.100.7/', 1))[0]!.pod, 'a1', 'the allowed source passes');
  assert.equal(await connects('10.96.0.40', 80), true, 'the node reaches the ClusterIP of the same Service (control)');
  assert.equal(await connects('198.51.100.7', 80), false, 'the node itself is outside the ranges: dropped (#119656)');
  assert.ok((await cluster.fetchFrom('a2', 'http://198.51.100.7/', 1))[0]!.error, 'a pod outside the ranges is dropped');
  write(base());
});

test('VM lifecycle: a keepalived-style virtual server survives runs, resyncs and cleanup; cleanup removes the rest and exits 0', async () => {
  const keepalived = vs({ address: '192.0.2.10', port: 80 });
  await ipvs.addVirtualServer(keepalived);
  await ipvs.addRealServer(keepalived, rs('192.0.2.20', 80));
  write([...base()]); // a change sync
  await new Promise((r) => setTimeout(r, 3500)); // and a full resync (sync period 3 s)
  assert.ok((await ipvs.listVirtualServers()).some((v) => v.address === '192.0.2.10'));
  assert.equal(await proxy!.stop('SIGTERM'), 0);
  proxy = undefined;
  const dry = await exec('bin/ipvs-proxy', ['cleanup', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^would delete virtual server TCP 10\.96\.0\.10:80$/m);
  assert.match(dry.stdout, /1 virtual server\(s\) not attributable to Kubernetes left alone/);
  assert.ok((await ipvs.listVirtualServers()).length > 1, 'a dry run removes nothing');
  const r = await exec('bin/ipvs-proxy', ['cleanup']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^removed \d+ object\(s\); 1 virtual server\(s\) not attributable to Kubernetes left alone$/m);
  assert.deepEqual((await ipvs.listVirtualServers()).map((v) => v.address), ['192.0.2.10']);
  assert.equal((await run('ipset', 'list', '-n')).trim(), '');
  assert.doesNotMatch(await run('iptables-save'), /KUBE-/);
  assert.notEqual((await exec('ip', ['link', 'show', 'kube-ipvs0'])).code, 0);
  assert.equal((await cluster.fetchFrom('a1', 'http://10.96.0.10/', 1))[0]!.error !== undefined, true, 'Services are gone');
  await ipvs.deleteVirtualServer(keepalived);
});
