// The proxy's life as its DaemonSet, on the real cluster of scripts/cluster/with-cluster: pods
// created, started, probed and stopped by real kubelets on nodes in the VM. A node joins later,
// the proxy's pod is deleted (the kubelet's SIGTERM) after an operator ran status and explain in
// it, a node is powered off and booted again, and a new image rolls out while a pod keeps
// requesting a Service.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeCluster, nodeIp } from '../../scripts/cluster/cluster.js';
import { until } from '../../scripts/cluster/steps.js';
import { IPVS_PROXY_IMAGE } from '../../scripts/cluster/proxies.js';
import { applyObjects, kubectlMust } from '../helpers/kube-cluster-test.js';
import { tempDir } from '../helpers/temp-dir.js';

const NS = 'deploy';
const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.43';
let cluster: KubeCluster;
let clusterIP: string;
let nodePort: number;

interface PodObject { metadata: { name: string; resourceVersion?: string; deletionTimestamp?: string }; spec: { nodeName?: string; containers: Array<{ image: string }> }; status: { podIP?: string; containerStatuses?: Array<{ containerID?: string; restartCount: number; ready: boolean; image: string; state: { running?: { startedAt: string }; terminated?: { exitCode: number; reason?: string } } }> } }

const kubectl = (...args: string[]) => kubectlMust(cluster, ...args);
const apply = (objects: unknown[]) => applyObjects(cluster, objects);

const pod = (name: string, node: string, args: string[], labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: NS, labels }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: AGNHOST, args }] } });

async function getPod(ns: string, name: string): Promise<PodObject> {
  return cluster.cp.must<PodObject>('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
}

async function ready(...names: string[]): Promise<void> {
  await kubectl('-n', NS, 'wait', '--for=condition=Ready', ...names.map((n) => `pod/${n}`), '--timeout=240s');
}

/** The ipvs-proxy pod on a node. */
async function proxyPod(node: string): Promise<PodObject> {
  const list = await cluster.cp.must<{ items: PodObject[] }>('GET', `/api/v1/namespaces/kube-system/pods?labelSelector=app.kubernetes.io%2Fname%3Dipvs-proxy&fieldSelector=spec.nodeName%3D${node}`);
  const live = list.items.filter((p) => !p.metadata.deletionTimestamp);
  assert.equal(live.length, 1, `one ipvs-proxy pod on ${node}: ${list.items.map((p) => p.metadata.name).join(', ')}`);
  return live[0]!;
}

/** A request from a pod (kubectl exec, as an operator would): the answering pod's name, or the error. */
async function fetchFrom(client: string, url: string): Promise<string> {
  const r = await cluster.kubectl('-n', NS, 'exec', client, '--', 'curl', '-s', '-m', '5', url);
  return r.code === 0 ? r.stdout.trim() : `error ${r.code}: ${r.stderr.trim()}`;
}

/** The node's IPVS table (ipvsadm -Sn in the node's network namespace). */
async function ipvs(node: string): Promise<string> {
  const r = await cluster.nodes.exec(node, ['ipvsadm', '-Sn']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/**
 * How a pod's container stopped, from its node's kubelet log: the exit code of PLEG's "container
 * finished" line, and its time after the kubelet's first "SyncLoop DELETE" of the pod.
 */
function kubeletStop(node: string, pod: string, containerId: string | undefined): { exitCode: number; reason: string; seenAfterMs: number } | undefined {
  const log = readFileSync(join(cluster.dir, 'vm-share', 'logs', node, 'kubelet.log'), 'utf8');
  const at = (line: string) => { const [h, m, sec] = line.slice(6, 21).split(':').map(Number); return ((h! * 60 + m!) * 60 + sec!) * 1000; };
  const deletion = log.split('\n').find((l) => l.includes('"SyncLoop DELETE"') && l.includes(`kube-system/${pod}]`));
  const id = containerId?.replace(/^containerd:\/\//, '');
  const end = id ? log.split('\n').find((l) => l.includes('"Generic (PLEG): container finished"') && l.includes(`containerID="${id}"`)) : undefined;
  const code = end && /exitCode=(-?\d+)/.exec(end)?.[1];
  if (!deletion || !end || code === undefined) return undefined;
  return { exitCode: Number(code), reason: "from the kubelet's log", seenAfterMs: at(end) - at(deletion) };
}

const realServers = (table: string) => table.split('\n').filter((l) => l.startsWith(`-a -t ${clusterIP}:80 `)).map((l) => l.split(' ')[4]).sort();

before(async () => {
  cluster = KubeCluster.attach();
  await kubectl('create', 'namespace', NS);
  await apply([
    pod('web-a', 'node-a', ['netexec', '--http-port=8080'], { app: 'web' }),
    pod('web-b', 'node-b', ['netexec', '--http-port=8080'], { app: 'web' }),
    pod('client-a', 'node-a', ['pause']),
    pod('client-b', 'node-b', ['pause']),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS },
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } },
  ]);
  await ready('web-a', 'web-b', 'client-a', 'client-b');
  const svc = await cluster.cp.must<{ spec: { clusterIP: string; ports: Array<{ nodePort: number }> } }>('GET', `/api/v1/namespaces/${NS}/services/web`);
  clusterIP = svc.spec.clusterIP;
  nodePort = svc.spec.ports[0]!.nodePort;
});

after(async () => {
  await cluster?.kubectl('delete', 'namespace', NS, '--wait=false');
});

test('deploy: join (real cluster, VM): a node added later gets the proxy from the DaemonSet controller and its kubelet; the proxy programs the node, and its pods reach Services by name through kube-dns', async () => {
  const t0 = Date.now();
  const node = await cluster.addNode();
  const joined = Date.now();
  await cluster.rolledOut('ipvs-proxy', 300_000);
  console.log(`measured: join, node Ready ${((joined - t0) / 1000).toFixed(1)} s after its boot; its ipvs-proxy pod ready ${((Date.now() - joined) / 1000).toFixed(1)} s after that`);
  const p = await proxyPod(node);
  assert.equal(p.status.containerStatuses?.[0]?.ready, true);
  const ips = [(await getPod(NS, 'web-a')).status.podIP, (await getPod(NS, 'web-b')).status.podIP].map((ip) => `${ip}:8080`).sort();
  await until('the join node not programmed with both backends within 60 s', 60_000, async () => JSON.stringify(realServers(await ipvs(node))) === JSON.stringify(ips));
  await apply([pod('client-c', node, ['pause'])]);
  await ready('client-c');
  const answers = new Set<string>();
  for (let i = 0; i < 6; i++) answers.add(await fetchFrom('client-c', `http://web.${NS}.svc.cluster.local/hostname`));
  assert.deepEqual([...answers].sort(), ['web-a', 'web-b'], 'both backends answer a pod on the new node, reached by name');
});

test('deploy: SIGTERM (real cluster, VM): three times, after status and explain ran in the pod, deleting the proxy pod makes the kubelet stop it with exit 0 within its grace period; the kernel state stays and traffic flows until the new pod is ready', async () => {
  const clientIp = (await getPod(NS, 'client-a')).status.podIP!;
  for (let round = 1; round <= 3; round++) {
    const p = await proxyPod('node-a');
    const name = p.metadata.name;
    const status = await cluster.kubectl('-n', 'kube-system', 'exec', name, '--', 'ipvs-proxy', 'status', `${NS}/web`);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`TCP ${clusterIP.replace(/\./g, '\\.')}:80 rr`), status.stdout);
    const explain = await cluster.kubectl('-n', 'kube-system', 'exec', name, '--', 'ipvs-proxy', 'explain', `${NS}/web`, '--from', clientIp);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /^Answered by one of 2 real server\(s\) \(rr\)/m, explain.stdout);
    const tableBefore = realServers(await ipvs('node-a'));

    let terminated: { exitCode: number; reason?: string; seenAfterMs: number } | undefined;
    let deleted = false;
    const t0 = Date.now();
    // from the version read above: every change after it is delivered, however late the watch connects
    const watch = cluster.cp.watch<PodObject>(`/api/v1/namespaces/kube-system/pods?fieldSelector=metadata.name%3D${name}&resourceVersion=${p.metadata.resourceVersion}`, (type, o) => {
      const t = o.status.containerStatuses?.[0]?.state.terminated;
      if (t && !terminated) terminated = { exitCode: t.exitCode, reason: t.reason, seenAfterMs: Date.now() - t0 };
      if (type === 'DELETED') deleted = true;
    });
    await kubectl('-n', 'kube-system', 'delete', 'pod', name, '--wait=false');
    // between the old pod's end and the new one's first sync, the kernel keeps serving
    const during = await fetchFrom('client-a', `http://${clusterIP}/hostname`);
    await until(`pod ${name} not gone within 90 s`, 90_000, async () => deleted);
    watch.stop();
    // the kubelet's own record of the stop, for when the pod's status never shows it
    terminated ??= kubeletStop('node-a', name, p.status.containerStatuses?.[0]?.containerID);
    assert.ok(terminated, `round ${round}: no terminated status of ${name} was seen before its deletion, nor its end in the kubelet's log`);
    assert.equal(terminated.exitCode, 0, `round ${round}: ${name} ended with ${terminated.exitCode} (${terminated.reason}) after ${terminated.seenAfterMs} ms`);
    assert.ok(terminated.seenAfterMs < 30_000, `round ${round}: it took ${terminated.seenAfterMs} ms, beyond the 30 s grace period`);
    console.log(`measured: SIGTERM round ${round}: exit 0 seen ${(terminated.seenAfterMs / 1000).toFixed(1)} s after the deletion${terminated.reason === "from the kubelet's log" ? " (in the kubelet's log; the pod's status never showed it)" : ''}`);
    assert.match(during, /^web-[ab]$/, 'a request while the proxy is gone');
    assert.deepEqual(realServers(await ipvs('node-a')), tableBefore, 'the kernel state stays');
    await cluster.rolledOut('ipvs-proxy', 180_000);
  }
});

test('deploy: reboot (real cluster, VM): a node powered off and booted again starts with no IPVS state; its kubelet starts the proxy pod again, which programs the node before traffic from its pods returns', async () => {
  const old = await proxyPod('node-b');
  const oldContainer = old.status.containerStatuses?.[0]?.containerID;
  await cluster.nodes.powerOff('node-b');
  let emptyAtBoot = '';
  await cluster.nodes.boot('node-b', nodeIp(1), async () => { emptyAtBoot = await ipvs('node-b'); });
  assert.equal(emptyAtBoot.trim(), '', 'the rebooted node has no virtual server before its proxy runs');
  await until('the proxy pod on node-b not running again, ready, in a new container within 240 s', 240_000, async () => {
    const c = (await proxyPod('node-b')).status.containerStatuses?.[0];
    return c?.ready && c.containerID !== oldContainer;
  });
  await until('client-b and web-b not running again within 240 s', 240_000, async () =>
    (await Promise.all(['client-b', 'web-b'].map((n) => getPod(NS, n)))).every((p) => p.status.containerStatuses?.[0]?.ready));
  const ips = [(await getPod(NS, 'web-a')).status.podIP, (await getPod(NS, 'web-b')).status.podIP].map((ip) => `${ip}:8080`).sort();
  await until('node-b not programmed again with both backends within 60 s', 60_000, async () => JSON.stringify(realServers(await ipvs('node-b'))) === JSON.stringify(ips));
  const answers = new Set<string>();
  for (let i = 0; i < 6; i++) answers.add(await fetchFrom('client-b', `http://${clusterIP}/hostname`));
  assert.deepEqual([...answers].sort(), ['web-a', 'web-b']);
});

test('deploy: rolling update (real cluster, VM): a new image rolls out node by node while a pod requests the Service in a loop, by ClusterIP and by another node\'s NodePort: no request fails', async () => {
  const next = `${IPVS_PROXY_IMAGE}-rollout`;
  for (const n of cluster.nodes.all.keys()) {
    const r = await cluster.nodes.exec(n, ['ctr', '-n', 'k8s.io', 'images', 'tag', '--force', IPVS_PROXY_IMAGE, next]);
    assert.equal(r.code, 0, r.stderr);
  }
  // a request fails when it is refused, reset or unanswered in 5 s: a SYN dropped once (IPVS
  // drops the first SYN of a reused port whose old connection is still tracked) costs 1 s, and
  // the emulated VM stalls for up to a second while a node starts a container
  const loop = `while true; do
    r=$(curl -s -m 5 -w ' %{time_total}s' http://${clusterIP}/hostname); c=$?
    if [ $c = 0 ]; then echo "ok $r"; else echo "FAIL clusterIP curl exit $c $(date +%T.%N) $r"; fi
    r=$(curl -s -m 5 -w ' %{time_total}s' http://${nodeIp(1)}:${nodePort}/hostname); c=$?
    if [ $c = 0 ]; then echo "ok-nodeport $r"; else echo "FAIL nodeport curl exit $c $(date +%T.%N) $r"; fi
    sleep 0.2
  done`;
  await apply([{ ...pod('loop', 'node-a', []), spec: { ...pod('loop', 'node-a', []).spec, containers: [{ name: 'c', image: AGNHOST, command: ['sh', '-c', loop] }] } }]);
  await ready('loop');
  await sleep(3000);
  const t0 = Date.now();
  await kubectl('-n', 'kube-system', 'set', 'image', 'daemonset/ipvs-proxy', `ipvs-proxy=${next}`);
  await cluster.rolledOut('ipvs-proxy', 900_000);
  const seconds = (Date.now() - t0) / 1000;
  await sleep(3000);
  const log = await kubectl('-n', NS, 'logs', 'loop');
  await kubectl('-n', NS, 'delete', 'pod', 'loop', '--wait=false');
  const lines = log.split('\n').filter(Boolean);
  const failed = lines.filter((l) => l.startsWith('FAIL'));
  const ok = lines.filter((l) => l.startsWith('ok'));
  const times = ok.map((l) => Number(/ ([\d.]+)s$/.exec(l)?.[1])).filter((t) => t >= 0).sort((x, y) => x - y);
  const at = (q: number) => `${(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 1000).toFixed(0)} ms`;
  console.log(`measured: rolling update of ${cluster.nodes.all.size} nodes in ${seconds.toFixed(0)} s; ${ok.length} requests succeeded (p50 ${at(0.5)}, max ${at(1)}, ${times.filter((t) => t > 1).length} over 1 s), ${failed.length} failed (${(ok.length / (seconds + 6)).toFixed(1)} per second)`);
  assert.deepEqual(failed, [], 'no request fails during the rollout');
  assert.ok(ok.length >= 2 * cluster.nodes.all.size, `too few requests to judge: ${ok.length}`);
  // the pod's spec: a container's status may name the same image by its other tag
  for (const n of cluster.nodes.all.keys()) {
    const p = await proxyPod(n);
    assert.deepEqual([p.spec.containers[0]!.image, p.status.containerStatuses?.[0]?.ready], [next, true], n);
  }
});
