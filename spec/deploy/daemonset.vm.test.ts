// The node's life (VM, root, with the real control plane of scripts/with-control-plane on the
// host, reached at 10.0.2.2 as a node reaches its control-plane endpoint): the image of
// scripts/image-build run under podman exactly as manifests/daemonset.yaml runs it, on an empty
// node (join), through SIGTERM, after a "reboot" (state removed, pod started again) with
// kubeadm's kube-proxy ConfigMap on a legacy-iptables node, and with only the in-cluster
// configuration (the error names the fix). Endpoints come from the real EndpointSlice controller.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import YAML from 'yaml';
import { ControlPlane } from '../helpers/control-plane.js';
import { createNamespace, createNode, createPod, createService, deletePod, manifestObjects, serverSideApply, setPodReady } from '../helpers/cluster-objects.js';
import { DaemonSetPod, jsonPatch, podman, preparePodman, readDaemonSet, runImage, type DaemonSet } from '../helpers/daemonset-pod.js';
import { exec } from '../helpers/exec.js';
import { until } from '../helpers/proxy-process.js';
import { resetKernel } from '../helpers/real-kernel.js';
import { NODE_A_IP, TestCluster, countByPod } from '../../scripts/testbed/cluster.js';

const FOREIGN_VS = '192.0.2.1:80'; // another IPVS user's (keepalived's) virtual server
let cp: ControlPlane;
let cluster: TestCluster;
let clusterIP: string;
let token: string;
let master: string;
let pod: DaemonSetPod | undefined;
let configMaps: Record<string, Record<string, string>>;

const healthz = (path = '/healthz') => new Promise<{ status: number; body: string }>((resolve) => {
  const req = request({ host: '127.0.0.1', port: 10256, path, timeout: 3000 }, (res) => {
    let body = '';
    res.on('data', (c: Buffer) => { body += c.toString(); });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
  });
  req.on('error', () => resolve({ status: 0, body: '' }));
  req.on('timeout', () => req.destroy());
  req.end();
});
const ipvsadm = async () => (await exec('ipvsadm', ['-Sn'])).stdout;
const realServers = async () => (await ipvsadm()).split('\n').filter((l) => l.startsWith(`-a -t ${clusterIP}:80 `)).map((l) => `${l.split(' ')[4]} w${l.split(' ').at(-1)}`).sort();
const kubeSets = async () => (await exec('ipset', ['list', '-n'])).stdout.split('\n').filter((s) => s.startsWith('KUBE-'));
const hasDummy = async () => (await exec('ip', ['link', 'show', 'kube-ipvs0'])).code === 0;

async function assertEmptyNode(): Promise<void> {
  assert.equal(await hasDummy(), false, 'no kube-ipvs0');
  assert.deepEqual(await kubeSets(), [], 'no KUBE-* sets');
  assert.deepEqual((await ipvsadm()).split('\n').filter((l) => l.startsWith('-A')), [`-A -t ${FOREIGN_VS} -s rr`], 'only the foreign virtual server');
}

/** A pod an earlier, failed test left running would hold the node's ports (10256) and rewrite the kernel. */
async function leftoverPodRemoved(): Promise<void> {
  await pod?.remove();
  pod = undefined;
}

/** Start the DaemonSet's pod and wait for /healthz (the first complete sync); returns the seconds it took. */
async function startPod(ds: DaemonSet, name: string): Promise<number> {
  await leftoverPodRemoved();
  const t0 = Date.now();
  pod = await DaemonSetPod.run(ds, { name, nodeName: 'node-a', configMaps, token, caCert: cp.read('ca.crt') });
  await until(async () => (await healthz()).status === 200 || (!(await pod!.running()) && 'exited'), 180_000, 'the pod ready (first complete sync)')
    .then(async (r) => { if (r === 'exited') throw new Error(`the pod exited: ${JSON.stringify(await pod!.logs())}`); });
  return (Date.now() - t0) / 1000;
}

before(async () => {
  await resetKernel();
  await exec('ipvsadm', ['-A', '-t', FOREIGN_VS, '-s', 'rr']);
  await preparePodman();
  cp = ControlPlane.attach('10.0.2.2');
  master = cp.url;
  cluster = await TestCluster.create([{ name: 'a1', node: 'node-a', n: 10 }, { name: 'a2', node: 'node-a', n: 11 }, { name: 'a3', node: 'node-a', n: 12 }]);
  // the manifests as a user deploys them, the placeholder set (as the README's kustomize patch does)
  for (const o of manifestObjects()) {
    if (!o.metadata.namespace && !o.kind.startsWith('Cluster')) o.metadata.namespace = 'kube-system';
    if (o.kind === 'ConfigMap') (o as unknown as { data: Record<string, string> }).data.apiServer = master;
    await serverSideApply(cp, o);
  }
  const cm = await cp.must('GET', '/api/v1/namespaces/kube-system/configmaps/ipvs-proxy');
  configMaps = { 'ipvs-proxy': cm.data };
  token = await cp.token('kube-system', 'ipvs-proxy');
  await createNode(cp, 'node-a', NODE_A_IP);
  await createNamespace(cp, 'shop');
  const svc = await createService(cp, 'shop', 'web', { ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web' } });
  clusterIP = (svc as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
  for (const [name, ready] of [['a1', true], ['a2', true], ['a3', false]] as const) {
    await createPod(cp, 'shop', `web-${name}`, { node: 'node-a', ip: cluster.pod(name).ip, labels: { app: 'web' }, ready });
  }
});

after(async () => {
  await pod?.remove();
  await runImage('cleanup');
  await exec('ipvsadm', ['-D', '-t', FOREIGN_VS]);
  await cluster?.destroy();
  await cp?.stop();
  await exec('iptables-legacy', ['-D', 'INPUT', '-m', 'comment', '--comment', 'host firewall', '-j', 'ACCEPT']);
  await resetKernel();
});

test('deploy: join (VM, root): on an empty node the image, run as the DaemonSet runs it, reaches the control-plane endpoint, programs everything and carries traffic; pods ready, not ready and terminating follow', async () => {
  await assertEmptyNode();
  const seconds = await startPod(readDaemonSet(), 'ipvs-proxy-join');
  console.log(`measured: join, pod start to the first complete sync: ${seconds.toFixed(1)} s`);
  const logs = await pod!.logs();
  assert.equal(logs.find((l) => l.msg === 'API server')?.apiServer, master);
  assert.equal(logs.find((l) => l.msg === 'API server')?.from, 'master');
  assert.equal(logs.find((l) => l.msg === 'iptables backend')?.backend, 'nft');
  assert.equal(await hasDummy(), true);
  assert.ok((await kubeSets()).includes('KUBE-CLUSTER-IP'));
  assert.match((await exec('iptables-nft-save', ['-t', 'nat'])).stdout, /KUBE-SERVICES/);
  assert.deepEqual(await realServers(), [`${cluster.pod('a1').ip}:8080 w1`, `${cluster.pod('a2').ip}:8080 w1`], 'the ready pods, not the unready one');
  const direct = await cluster.fetchFrom('a3', `http://${cluster.pod('a1').ip}:8080/`, 1);
  assert.deepEqual(countByPod(await cluster.fetchFrom('a3', `http://${clusterIP}/`, 6)), { a1: 3, a2: 3 }, `direct to a pod: ${JSON.stringify(direct)}; ${await exec('ipvsadm', ['-Ln']).then((r) => r.stdout)}`);

  await setPodReady(cp, 'shop', 'web-a3', cluster.pod('a3').ip, true);
  await until(async () => (await realServers()).length === 3, 30_000, 'web-a3 ready in IPVS');
  await deletePod(cp, 'shop', 'web-a1'); // Terminating: no kubelet confirms the stop
  await until(async () => (await realServers()).includes(`${cluster.pod('a1').ip}:8080 w0`), 30_000, 'web-a1 terminating: weight 0, draining');
  assert.deepEqual(countByPod(await cluster.fetchFrom('a3', `http://${clusterIP}/`, 6)), { a2: 3, a3: 3 });
  assert.match(await ipvsadm(), new RegExp(`-A -t ${FOREIGN_VS}`), 'the foreign virtual server is untouched');
  // an operator's view from inside the pod: status and explain ask the running proxy on its metrics address
  const esc = (ip: string) => ip.replace(/\./g, '\\.');
  const status = await pod!.exec('/usr/local/bin/ipvs-proxy', 'status', 'shop/web');
  assert.equal(status.code, 0, status.stderr);
  for (const p of ['a2', 'a3']) assert.match(status.stdout, new RegExp(`-> ${esc(cluster.pod(p).ip)}:8080 +weight 1 `), status.stdout);
  const why = await pod!.exec('/usr/local/bin/ipvs-proxy', 'explain', 'shop/web', '--from', cluster.pod('a1').ip);
  assert.equal(why.code, 0, why.stderr);
  assert.match(why.stdout, /^Answered by one of 2 real server\(s\) \(rr\); the backend sees the client's own address/m, why.stdout);
});

test('deploy: SIGTERM (VM, root) through tini: the proxy exits 0 and leaves the kernel state; traffic keeps flowing', async () => {
  const before = await realServers();
  const code = await pod!.stop();
  const logs = await pod!.logs();
  assert.equal(code, 0, `exit status; the last log lines: ${JSON.stringify(logs.slice(-6))}`);
  assert.ok(logs.some((l) => l.msg === 'stopping; the kernel state stays in place' && l.signal === 'SIGTERM'), JSON.stringify(logs.slice(-5)));
  assert.deepEqual(await realServers(), before);
  assert.equal(await hasDummy(), true);
  assert.deepEqual(countByPod(await cluster.fetchFrom('a2', `http://${clusterIP}/`, 4)), { a2: 2, a3: 2 });
  await pod!.remove();
});

test("deploy: reboot (VM, root): state removed by the image's cleanup, the pod started again with kubeadm's kube-proxy ConfigMap unchanged, on a legacy-iptables node, recovers", async () => {
  const clean = await runImage('cleanup');
  assert.equal(clean.code, 0, clean.stderr);
  await assertEmptyNode();
  assert.deepEqual((await exec('iptables-nft-save', [])).stdout.split('\n').filter((l) => l.includes('KUBE-')), [], 'cleanup left no KUBE- rule or chain');
  // this node's other iptables users write legacy rules: the proxy must join them there
  await exec('iptables-legacy', ['-A', 'INPUT', '-m', 'comment', '--comment', 'host firewall', '-j', 'ACCEPT']);
  // kubeadm's ConfigMap, as `kubeadm init` writes it (config.conf, kubeconfig.conf)
  const kubeProxy = {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' },
    data: {
      'config.conf': YAML.stringify({ apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', bindAddress: '0.0.0.0',
        clientConnection: { acceptContentTypes: '', burst: 0, contentType: '', kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf', qps: 0 },
        clusterCIDR: '10.244.0.0/16', configSyncPeriod: '0s', mode: 'ipvs', ipvs: { scheduler: '', strictARP: false, syncPeriod: '0s', minSyncPeriod: '0s' },
        metricsBindAddress: '', healthzBindAddress: '', nodePortAddresses: null }),
      'kubeconfig.conf': YAML.stringify({ apiVersion: 'v1', kind: 'Config',
        clusters: [{ cluster: { 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', server: master }, name: 'default' }],
        contexts: [{ context: { cluster: 'default', namespace: 'default', user: 'default' }, name: 'default' }], 'current-context': 'default',
        users: [{ name: 'default', user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }] }),
    },
  };
  await serverSideApply(cp, kubeProxy as never);
  configMaps = { ...configMaps, 'kube-proxy': (await cp.must('GET', '/api/v1/namespaces/kube-system/configmaps/kube-proxy')).data };
  const ops = YAML.parse(readFileSync('manifests/kubeadm/daemonset-patch.yaml', 'utf8')) as Array<{ op: string; path: string; value?: unknown }>;
  const seconds = await startPod(jsonPatch(readDaemonSet(), ops), 'ipvs-proxy-kubeadm');
  console.log(`measured: reboot (cleanup, kubeadm ConfigMap, legacy iptables), pod start to the first complete sync: ${seconds.toFixed(1)} s`);
  const logs = await pod!.logs();
  assert.equal(logs.find((l) => l.msg === 'API server')?.from, 'kubeconfig');
  assert.equal(logs.find((l) => l.msg === 'iptables backend')?.backend, 'legacy');
  assert.match((await exec('iptables-legacy-save', ['-t', 'nat'])).stdout, /KUBE-SERVICES/);
  assert.doesNotMatch((await exec('iptables-nft-save', ['-t', 'nat'])).stdout, /KUBE-/, 'nothing in the backend the node does not use');
  assert.deepEqual(await realServers(), [`${cluster.pod('a2').ip}:8080 w1`, `${cluster.pod('a3').ip}:8080 w1`], 'after a reboot the terminating endpoint is not added back');
  assert.deepEqual(countByPod(await cluster.fetchFrom('a1', `http://${clusterIP}/`, 4)), { a2: 2, a3: 2 });
  assert.equal(await pod!.stop(), 0);
  await pod!.remove();
  await exec('iptables-legacy', ['-D', 'INPUT', '-m', 'comment', '--comment', 'host firewall', '-j', 'ACCEPT']);
});

test('deploy: in-cluster only (VM, root): on an empty node the proxy names the unreachable ClusterIP and the setting that fixes it on every retry, /healthz says 503 and why, the kernel is left as it is', async () => {
  assert.equal((await runImage('cleanup')).code, 0);
  await assertEmptyNode();
  // a DaemonSet whose IPVS_PROXY_MASTER was removed: only KUBERNETES_SERVICE_HOST is left
  const ds = jsonPatch(readDaemonSet(), [{ op: 'test', path: '/spec/template/spec/containers/0/env/1/name', value: 'IPVS_PROXY_MASTER' }, { op: 'remove', path: '/spec/template/spec/containers/0/env/1' }]);
  await leftoverPodRemoved();
  pod = await DaemonSetPod.run(ds, { name: 'ipvs-proxy-incluster', nodeName: 'node-a', configMaps, token, caCert: cp.read('ca.crt') });
  const errors = async () => (await pod!.logs()).filter((l) => (l.level as number) >= 50 && String(l.msg).startsWith('cannot reach the API server'));
  await until(async () => (await errors()).length >= 1, 150_000, 'the unreachable API server logged')
    .catch(async (e: Error) => { throw new Error(`${e.message}; the pod's log: ${JSON.stringify((await pod!.logs()).slice(-8))}`); });
  for (const e of await errors()) {
    assert.equal(e.apiServer, 'https://10.96.0.1:443');
    assert.match(String(e.fix), /ClusterIP.*--master.*IPVS_PROXY_MASTER/);
  }
  const h = await healthz();
  assert.equal(h.status, 503);
  assert.match(JSON.parse(h.body).waiting, /10\.96\.0\.1/);
  assert.equal((await healthz('/livez')).status, 200, 'alive: a restart would not help');
  await assertEmptyNode();
  assert.equal(await pod!.stop(), 0);
  await pod!.remove();
  pod = undefined;
  assert.equal((await podman('ps', '-a', '-q', '--filter', 'name=ipvs-proxy-incluster')).stdout.trim(), '', 'no container left');
});
