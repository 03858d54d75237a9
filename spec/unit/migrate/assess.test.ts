// The migration plan: where a move from kube-proxy stands and each reason it refuses to go on,
// from kubeadm's own kube-proxy objects (scripts/cluster/kube-proxy.yaml, as the real cluster runs them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { MIGRATION_LABEL, readDaemonSet, readKubeProxyConfigMap, readNode, type ClusterFacts, type NodeFacts } from '../../../lib/migrate/facts.js';
import { assessMigration } from '../../../lib/migrate/assess.js';
import { readRunConfig, renderPlan } from '../../../lib/cli/commands/migrate.js';

const kubeadm = YAML.parseAllDocuments(readFileSync('scripts/cluster/kube-proxy.yaml', 'utf8').replaceAll('CONTROL_PLANE_ENDPOINT', 'https://10.10.0.1:6443')).map((d) => d.toJS() as { kind: string; metadata: { name: string } } & Record<string, unknown>);
const kubeProxyDs = kubeadm.find((o) => o.kind === 'DaemonSet')!;
const kubeProxyCm = kubeadm.find((o) => o.kind === 'ConfigMap')!;
const ipvsProxyDs = YAML.parse(readFileSync('manifests/daemonset.yaml', 'utf8')) as Record<string, unknown>;
const node = (name: string, o: { ready?: boolean; labelled?: boolean; moving?: boolean } = {}) => readNode({
  metadata: { name, labels: o.labelled ? { [MIGRATION_LABEL]: 'true' } : o.moving ? { [MIGRATION_LABEL]: 'moving' } : {} },
  status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});
const configWith = (edit: (conf: string) => string) => readKubeProxyConfigMap({ ...kubeProxyCm, data: { ...(kubeProxyCm.data as object), 'config.conf': edit((kubeProxyCm.data as Record<string, string>)['config.conf']!) } });
const limited = (ds: Record<string, unknown>) => structuredClone(ds) as { spec: { template: { spec: Record<string, unknown> } } };
const ipvsLimited = (() => { const d = limited(ipvsProxyDs); d.spec.template.spec.nodeSelector = { 'kubernetes.io/os': 'linux', [MIGRATION_LABEL]: 'true' }; return readDaemonSet(d); })();
const kubeProxyAvoiding = (() => {
  const d = limited(kubeProxyDs);
  d.spec.template.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: MIGRATION_LABEL, operator: 'DoesNotExist' }] }] } } };
  return readDaemonSet(d);
})();

const fresh = (over: Partial<ClusterFacts> = {}): ClusterFacts => ({
  kubeProxy: readDaemonSet(kubeProxyDs), kubeProxyConfig: readKubeProxyConfigMap(kubeProxyCm),
  nodes: [node('node-a'), node('node-b')], kubernetesServiceIPs: ['10.96.0.1'], ...over,
});
const assess = (facts: ClusterFacts, master?: string) => assessMigration(facts, { readConfig: readRunConfig, ...(master ? { master } : {}) });

test("migrate plan: kubeadm's kube-proxy in IPVS mode, nothing done yet: it can start; settings and the endpoint come from the ConfigMap", () => {
  const p = assess(fresh());
  assert.deepEqual(p.refusals, []);
  assert.equal(p.stage, 'not started');
  assert.equal(p.mode, 'ipvs');
  assert.equal(p.apiServer, 'https://10.10.0.1:6443');
  assert.deepEqual(p.settings.clusterCidr, ['10.244.0.0/16']);
  assert.equal(p.settings.conntrackMaxPerCore, 0);
  assert.deepEqual([p.onKubeProxy, p.onIpvsProxy], [['node-a', 'node-b'], []]);
  assert.match(p.next.join('\n'), /^migrate start: create the ipvs-proxy ServiceAccount/);
  assert.match(renderPlan(p), /^Migration from kube-proxy: not started\nkube-proxy mode: ipvs\ncontrol-plane endpoint: https:\/\/10\.10\.0\.1:6443\n/);
});

test('migrate plan: kube-proxy in iptables mode (mode "", the default) is refused, saying what to do first', () => {
  const p = assess(fresh({ kubeProxyConfig: configWith((c) => c.replace('mode: ipvs', 'mode: ""')) }));
  assert.equal(p.mode, 'iptables');
  assert.equal(p.refusals.length, 1);
  assert.match(p.refusals[0]!, /runs in iptables mode.*Move kube-proxy to IPVS mode first \(mode: ipvs in config\.conf.*KUBE-SVC-\* chains removed with kube-proxy --cleanup\)/);
});

test('migrate plan: --proxy-mode on the DaemonSet\'s command line wins over config.conf, as it does for kube-proxy', () => {
  const d = limited(kubeProxyDs);
  (d.spec.template.spec.containers as Array<{ command: string[] }>)[0]!.command.push('--proxy-mode=nftables');
  const p = assess(fresh({ kubeProxy: readDaemonSet(d) }));
  assert.equal(p.mode, 'nftables');
  assert.match(p.refusals.join('\n'), /nftables mode.*the kube-proxy nftables table removed/);
});

test('migrate plan: settings ipvs-proxy does not support, and invalid values, are refused with their field', () => {
  const unsupported = assess(fresh({ kubeProxyConfig: configWith((c) => `${c}\nnewField: 1`) }));
  assert.deepEqual(unsupported.refusals, ['config.conf sets what ipvs-proxy does not support: newField: not used by ipvs-proxy']);
  const invalid = assess(fresh({ kubeProxyConfig: configWith((c) => c.replace('scheduler: ""', 'scheduler: nope')) }));
  assert.equal(invalid.refusals.length, 1);
  assert.match(invalid.refusals[0]!, /^config\.conf: ipvs\.scheduler: /);
  const broken = assess(fresh({ kubeProxyConfig: configWith(() => 'mode: [') }));
  assert.match(broken.refusals.join('\n'), /config\.conf is not valid YAML/);
});

test('migrate plan: an API server reached through the kubernetes Service, or none at all, is refused; --master fixes both', () => {
  const viaService = fresh({ kubeProxyConfig: readKubeProxyConfigMap({ data: { ...(kubeProxyCm.data as object), 'kubeconfig.conf': (kubeProxyCm.data as Record<string, string>)['kubeconfig.conf']!.replace('https://10.10.0.1:6443', 'https://10.96.0.1:443') } }) });
  assert.match(assess(viaService).refusals.join('\n'), /^https:\/\/10\.96\.0\.1:443 is reached through the kubernetes Service/);
  const byName = fresh({ kubeProxyConfig: readKubeProxyConfigMap({ data: { 'config.conf': (kubeProxyCm.data as Record<string, string>)['config.conf']!, 'kubeconfig.conf': 'clusters: [{name: c, cluster: {server: "https://kubernetes.default.svc"}}]' } }) });
  assert.match(assess(byName).refusals.join('\n'), /kubernetes\.default\.svc is reached through the kubernetes Service/);
  const none = fresh({ kubeProxyConfig: readKubeProxyConfigMap({ data: { 'config.conf': (kubeProxyCm.data as Record<string, string>)['config.conf']! } }) });
  assert.match(assess(none).refusals.join('\n'), /^no control-plane endpoint: .*--master/);
  for (const f of [viaService, none]) {
    const p = assess(f, 'https://192.0.2.10:6443');
    assert.deepEqual([p.refusals, p.apiServer], [[], 'https://192.0.2.10:6443']);
  }
});

test('migrate plan: nodes that are not Ready are named and stop it', () => {
  const p = assess(fresh({ nodes: [node('node-a'), node('node-b', { ready: false }), node('node-c', { ready: false })] }));
  assert.deepEqual(p.refusals.length, 1);
  assert.match(p.refusals[0]!, /^nodes not Ready: node-b, node-c;/);
});

test('migrate plan: where it stands is read from the DaemonSets and the labels: started, moving, ready to finish, finished', () => {
  const started = assess(fresh({ ipvsProxy: ipvsLimited, kubeProxy: kubeProxyAvoiding }));
  assert.deepEqual([started.stage, started.refusals, started.onIpvsProxy], ['started', [], []]);
  assert.match(started.next[0]!, /^migrate nodes: move node-a, node-b one at a time/);
  const nodes: NodeFacts[] = [node('node-a', { labelled: true }), node('node-b')];
  const moving = assess(fresh({ ipvsProxy: ipvsLimited, kubeProxy: kubeProxyAvoiding, nodes }));
  assert.deepEqual([moving.stage, moving.onKubeProxy, moving.onIpvsProxy], ['moving', ['node-b'], ['node-a']]);
  // an interrupted step: node-b between the two, neither proxy running there; the next step settles it first
  const between = assess(fresh({ ipvsProxy: ipvsLimited, kubeProxy: kubeProxyAvoiding, nodes: [node('node-a', { labelled: true }), node('node-b', { moving: true })] }));
  assert.deepEqual([between.stage, between.refusals, between.onKubeProxy, between.onIpvsProxy, between.between], ['moving', [], [], ['node-a'], ['node-b']]);
  assert.match(between.next[0]!, /^migrate nodes: move node-b /);
  assert.match(renderPlan(between), /\nnodes between the two, neither proxy running \(1\): node-b\n/);
  const allMoved = assess(fresh({ ipvsProxy: ipvsLimited, kubeProxy: kubeProxyAvoiding, nodes: [node('node-a', { labelled: true }), node('node-b', { labelled: true })] }));
  assert.match(allMoved.next[0]!, /^migrate finish: delete kube-proxy's DaemonSet/);
  const finished = assess({ ipvsProxy: ipvsLimited, nodes: nodes.map((n) => ({ ...n, labelled: true })), kubernetesServiceIPs: ['10.96.0.1'] });
  assert.deepEqual([finished.stage, finished.refusals, finished.next], ['finished', [], []]);
  assert.match(renderPlan(finished), /Done: every node runs ipvs-proxy/);
});

test('migrate plan: both proxies on one node is refused: an unlimited ipvs-proxy DaemonSet, or a kube-proxy that does not keep off labelled nodes', () => {
  const unlimited = assess(fresh({ ipvsProxy: readDaemonSet(ipvsProxyDs), kubeProxy: kubeProxyAvoiding }));
  assert.match(unlimited.refusals.join('\n'), /^the ipvs-proxy DaemonSet runs on every node while kube-proxy does too/);
  const notAvoiding = assess(fresh({ ipvsProxy: ipvsLimited, nodes: [node('node-a', { labelled: true }), node('node-b')] }));
  assert.match(notAvoiding.refusals.join('\n'), /^kube-proxy's DaemonSet does not keep off nodes labelled ipvs-proxy\.io\/enabled, so node-a run both proxies/);
});

test('migrate plan: no kube-proxy DaemonSet and no ipvs-proxy: nothing to migrate from', () => {
  assert.deepEqual(assess({ nodes: [node('node-a')], kubernetesServiceIPs: [] }).refusals[0], 'kube-system has no kube-proxy DaemonSet: there is nothing to migrate from');
});

test('migrate plan: a malformed object is an error naming its field', () => {
  assert.throws(() => readDaemonSet({ metadata: { name: 'kube-proxy' }, spec: { template: { spec: { containers: [{ name: 'c' }] } } } }), /spec\.template\.spec\.containers\[0\]\.image: missing/);
  assert.throws(() => readNode({ metadata: { name: 'n', labels: { a: 1 } } }), /metadata\.labels\.a: expected a string/);
});

test('migrate plan: a control-plane endpoint that is not a URL is refused', () => {
  assert.deepEqual(assess(fresh(), 'CONTROL_PLANE_ENDPOINT').refusals, ['the control-plane endpoint "CONTROL_PLANE_ENDPOINT" is not a URL (https://HOST:PORT)']);
});
