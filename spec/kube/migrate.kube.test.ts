// `ipvs-proxy migrate` on a live cluster (scripts/cluster/with-cluster --proxy kube-proxy): kube-proxy
// v1.26.1 in IPVS mode as kubeadm deploys it, two nodes with real kubelets, and pods on each node
// requesting a Service by its ClusterIP and by both nodes' NodePort in a loop the whole time. A
// gate that fails (ipvs-proxy given an API server it cannot reach) sends the node back; then plan,
// start, nodes, finish, and a rollback to where it began. No request may fail, and each node's
// IPVS table (ipvsadm -Sn) must be the same, apart from ordering, on either proxy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeCluster, nodeIp } from '../../scripts/cluster/cluster.js';
import { IPVS_PROXY_IMAGE } from '../../scripts/cluster/proxies.js';
import { until } from '../../scripts/cluster/steps.js';
import { MIGRATION_LABEL } from '../../lib/migrate/facts.js';
import { applyObjects, kubectlMust } from '../helpers/kube-cluster-test.js';
import { cli } from '../helpers/cli.js';

const NS = 'migrate';
const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.43';
let cluster: KubeCluster;
let clusterIP: string;
let nodePort: number;
const NODES = ['node-a', 'node-b'];
/** how many lines of each loop's log earlier phases have counted */
const seen = new Map<string, number>();

const kubectl = (...args: string[]) => kubectlMust(cluster, ...args);
const apply = (objects: unknown[]) => applyObjects(cluster, objects);

const pod = (name: string, node: string, container: Record<string, unknown>, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: NS, labels }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: AGNHOST, ...container }] } });

/** A pod requesting the Service in a loop: by ClusterIP, and by each node's NodePort. */
function loop(node: string) {
  const targets = [`http://${clusterIP}/hostname`, ...NODES.map((_, i) => `http://${nodeIp(i)}:${nodePort}/hostname`)];
  // a request fails when refused, reset or unanswered in 10 s: two lost SYNs cost 3 s, and the
  // emulated VM stalls for seconds while a node starts or stops a container; the time of each
  // request is kept, so every one over 1 s is reported
  const script = `while true; do for u in ${targets.join(' ')}; do
    r=$(curl -s -m 10 -w ' %{time_total}s' $u); c=$?
    if [ $c = 0 ]; then echo "ok $u $r"; else echo "FAIL $u curl exit $c $(date +%T) $r"; fi
  done; sleep 0.2; done`;
  return pod(`loop-${node}`, node, { command: ['sh', '-c', script] });
}

/** The loops' requests since the last call: how many, and the failed ones. */
async function requestsSince(): Promise<{ ok: number; failed: string[]; times: string }> {
  let ok = 0;
  const failed: string[] = [];
  const seconds: number[] = [];
  for (const n of NODES) {
    const lines = (await kubectl('-n', NS, 'logs', `loop-${n}`)).split('\n').filter(Boolean);
    const fresh = lines.slice(seen.get(n) ?? 0);
    seen.set(n, lines.length);
    const answered = fresh.filter((l) => l.startsWith('ok'));
    ok += answered.length;
    seconds.push(...answered.map((l) => Number(/ ([\d.]+)s$/.exec(l)?.[1])).filter((t) => t >= 0));
    failed.push(...fresh.filter((l) => l.startsWith('FAIL')).map((l) => `${n}: ${l}`));
  }
  seconds.sort((x, y) => x - y);
  const at = (q: number) => `${((seconds[Math.min(seconds.length - 1, Math.floor(q * seconds.length))] ?? 0) * 1000).toFixed(0)} ms`;
  const slow = seconds.filter((t) => t > 1);
  return { ok, failed, times: `p50 ${at(0.5)}, max ${at(1)}, ${slow.length} over 1 s${slow.length ? ` (${slow.map((t) => `${t.toFixed(1)} s`).join(', ')})` : ''}` };
}

/** Each node's IPVS table, sorted: the same on either proxy when the state is adopted in place. */
async function tables(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const n of NODES) {
    const r = await cluster.nodes.exec(n, ['ipvsadm', '-Sn']);
    assert.equal(r.code, 0, r.stderr);
    out[n] = r.stdout.split('\n').filter(Boolean).sort();
  }
  return out;
}

const migrate = async (...args: string[]) => {
  const r = await cli(['migrate', ...args, '--kubeconfig', cluster.kubeconfig]);
  console.log(`$ ipvs-proxy migrate ${args.join(' ')}\n${r.out}${r.err}(exit ${r.code})`);
  return r;
};

/** Which proxy's ready pod runs on each node. */
async function proxies(): Promise<Record<string, string[]>> {
  const pods = await cluster.cp.must<{ items: Array<{ metadata: { ownerReferences?: Array<{ name: string }>; deletionTimestamp?: string }; spec: { nodeName: string }; status: { conditions?: Array<{ type: string; status: string }> } }> }>('GET', '/api/v1/namespaces/kube-system/pods');
  const out: Record<string, string[]> = Object.fromEntries(NODES.map((n) => [n, []]));
  for (const p of pods.items) {
    const ds = p.metadata.ownerReferences?.[0]?.name;
    if ((ds === 'kube-proxy' || ds === 'ipvs-proxy') && !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) out[p.spec.nodeName]?.push(ds);
  }
  return out;
}

let initial: Record<string, string[]>;

before(async () => {
  cluster = KubeCluster.attach();
  assert.equal(cluster.proxy, 'kube-proxy', 'this test needs the cluster on kube-proxy (with-cluster --proxy kube-proxy)');
  await cluster.kubectl('delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=120s');
  await kubectl('create', 'namespace', NS);
  await apply([
    pod('web-a', 'node-a', { args: ['netexec', '--http-port=8080'] }, { app: 'web' }),
    pod('web-b', 'node-b', { args: ['netexec', '--http-port=8080'] }, { app: 'web' }),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS },
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } },
  ]);
  const svc = await cluster.cp.must<{ spec: { clusterIP: string; ports: Array<{ nodePort: number }> } }>('GET', `/api/v1/namespaces/${NS}/services/web`);
  clusterIP = svc.spec.clusterIP;
  nodePort = svc.spec.ports[0]!.nodePort;
  await apply(NODES.map(loop));
  await kubectl('-n', NS, 'wait', '--for=condition=Ready', 'pod/web-a', 'pod/web-b', ...NODES.map((n) => `pod/loop-${n}`), '--timeout=240s');
  // counted from the time every loop has answered a dozen requests in a row: before that, a
  // request can reach a Service whose endpoints kube-proxy has not yet programmed
  await until('the request loops never ran a dozen requests in a row without a failure', 120_000, async () => {
    const logs = await Promise.all(NODES.map((n) => kubectl('-n', NS, 'logs', `loop-${n}`)));
    const streaks = logs.map((l) => l.split('\n').filter(Boolean).reverse().findIndex((x) => x.startsWith('FAIL')));
    return streaks.every((s, i) => s === -1 ? logs[i]!.split('\n').filter(Boolean).length >= 12 : s >= 12);
  });
  const warmup = await requestsSince();
  console.log(`warm-up: ${warmup.ok} requests succeeded, ${warmup.failed.length} failed before the loops were steady${warmup.failed.length ? `: ${warmup.failed.join('; ')}` : ''}`);
  // and once kube-proxy has programmed both endpoints on both nodes
  initial = await until("kube-proxy did not program both of the Service's endpoints on both nodes", 120_000, async () => {
    const t = await tables();
    return NODES.every((n) => t[n]!.filter((l) => l.startsWith(`-a -t ${clusterIP}:80 `)).length === 2) ? t : undefined;
  });
});

after(async () => {
  await cluster?.kubectl('delete', 'namespace', NS, '--wait=false');
});

test('migrate (real cluster, VM): a gate that fails (ipvs-proxy given an API server it cannot reach) sends the node back to kube-proxy with that reason and stops; no request fails; rollback then removes what start added', async () => {
  const start = await migrate('start', '--image', IPVS_PROXY_IMAGE, '--master', 'https://10.10.0.1:6444');
  assert.equal(start.code, 0, start.err);
  const t0 = Date.now();
  const r = await migrate('nodes', '--timeout', '40s', '--probe', `${NS}/web`);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(r.code, 1, 'the step fails');
  assert.match(r.out, /node-a went back to kube-proxy: waited 40 s for ipvs-proxy's pod to be ready/);
  assert.match(r.out, /stopped: 2 of 2 nodes not moved/);
  assert.doesNotMatch(r.out, /node-b: /, 'node-b was not touched');
  assert.deepEqual(await proxies(), { 'node-a': ['kube-proxy'], 'node-b': ['kube-proxy'] });
  const requests = await requestsSince();
  console.log(`measured: a failed gate and its rollback of node-a: ${seconds.toFixed(0)} s; ${requests.ok} requests succeeded (${requests.times}), ${requests.failed.length} failed`);
  assert.deepEqual(requests.failed, [], 'no request fails while the node goes back');
  assert.deepEqual(await tables(), initial, 'the IPVS tables are as kube-proxy left them');

  const back = await migrate('rollback');
  assert.equal(back.code, 0, back.err);
  assert.match(back.out, /deleted DaemonSet kube-system\/ipvs-proxy/);
  assert.match(back.out, /^Migration from kube-proxy: not started$/m);
  const ds = await cluster.cp.must<{ spec: { template: { spec: { affinity?: unknown } } } }>('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy');
  assert.equal(ds.spec.template.spec.affinity, undefined, "kube-proxy's DaemonSet is as kubeadm made it");
});

test('migrate (real cluster, VM): plan, start, nodes (gated, with a NodePort probe) and finish move both nodes to ipvs-proxy under request loops: no request fails and each node\'s IPVS table is adopted unchanged', async () => {
  const plan = await migrate('plan');
  assert.equal(plan.code, 0, plan.err);
  assert.match(plan.out, /^Migration from kube-proxy: not started\nkube-proxy mode: ipvs\n/);
  const start = await migrate('start', '--image', IPVS_PROXY_IMAGE);
  assert.equal(start.code, 0, start.err);
  assert.match(start.out, /^Migration from kube-proxy: started$/m);
  assert.deepEqual(await tables(), initial, 'start changes no node');

  const t0 = Date.now();
  const nodes = await migrate('nodes', '--probe', `${NS}/web`);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(nodes.code, 0, nodes.err);
  for (const n of NODES) {
    assert.match(nodes.out, new RegExp(`${n}: ipvs-proxy first sync: \\d+ operations, none failed`));
    assert.match(nodes.out, new RegExp(`${n}: ipvs-proxy virtual servers: every one of \\d+ Service ports has its virtual server`));
    assert.match(nodes.out, new RegExp(`${n}: ipvs-proxy probe ${NS}/web: connected`));
  }
  assert.deepEqual(await proxies(), { 'node-a': ['ipvs-proxy'], 'node-b': ['ipvs-proxy'] });
  const requests = await requestsSince();
  console.log(`measured: migrate nodes, 2 nodes in ${seconds.toFixed(0)} s (${/moved to ipvs-proxy: (.*)/.exec(nodes.out)?.[1]}); ${requests.ok} requests succeeded (${requests.times}), ${requests.failed.length} failed`);
  assert.deepEqual(requests.failed, [], 'no request fails while the nodes move');
  assert.deepEqual(await tables(), initial, 'ipvs-proxy adopted each node\'s IPVS table as kube-proxy left it');

  const finish = await migrate('finish');
  assert.equal(finish.code, 0, finish.err);
  assert.match(finish.out, /^Migration from kube-proxy: finished$/m);
  assert.equal((await cluster.cp.request('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy')).status, 404);
  const ds = await cluster.cp.must<{ spec: { template: { spec: { nodeSelector?: Record<string, string>; containers: Array<{ image: string }> } } } }>('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets/ipvs-proxy');
  assert.equal(ds.spec.template.spec.nodeSelector?.[MIGRATION_LABEL], undefined, 'ipvs-proxy runs on every node once finished');
  assert.equal(ds.spec.template.spec.containers[0]!.image, IPVS_PROXY_IMAGE, 'finish keeps the image start was given');
  assert.deepEqual(await proxies(), { 'node-a': ['ipvs-proxy'], 'node-b': ['ipvs-proxy'] }, 'its restarted pods are ready');
  await sleep(2000);
  assert.deepEqual((await requestsSince()).failed, []);
});

test('migrate (real cluster, VM): rollback after finish brings kube-proxy\'s DaemonSet back and moves both nodes to it, gated: no request fails, the IPVS tables unchanged, and the cluster is as before the migration', async () => {
  const t0 = Date.now();
  const r = await migrate('rollback', '--probe', `${NS}/web`);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /kube-proxy's DaemonSet restored from ConfigMap kube-system\/ipvs-proxy-migration/);
  assert.match(r.out, /^Migration from kube-proxy: not started$/m);
  assert.deepEqual(await proxies(), { 'node-a': ['kube-proxy'], 'node-b': ['kube-proxy'] });
  const requests = await requestsSince();
  console.log(`measured: migrate rollback, 2 nodes in ${seconds.toFixed(0)} s (${/moved to kube-proxy: (.*)/.exec(r.out)?.[1]}); ${requests.ok} requests succeeded (${requests.times}), ${requests.failed.length} failed`);
  assert.deepEqual(requests.failed, [], 'no request fails while the nodes move back');
  assert.deepEqual(await tables(), initial, 'kube-proxy took the tables back unchanged');
  const nodes = await cluster.cp.must<{ items: Array<{ metadata: { labels: Record<string, string> } }> }>('GET', '/api/v1/nodes');
  assert.deepEqual(nodes.items.filter((n) => MIGRATION_LABEL in n.metadata.labels), [], 'no node keeps the label');
});
