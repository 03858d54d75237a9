// The objects `migrate start` applies, made from the project's own manifests as
// `kubectl apply -k manifests/kubeadm` makes them, limited to labelled nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeProxyAvoidance, migrationObjects, objectPath, readManifests } from '../../../lib/migrate/objects.js';
import { MIGRATION_LABEL, readDaemonSet } from '../../../lib/migrate/facts.js';
import { cli } from '../../helpers/cli.js';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { savedForm } from '../../../lib/migrate/finish.js';

type Ds = { spec: { template: { spec: { nodeSelector: Record<string, string>; containers: Array<{ image: string; args: string[]; env: Array<{ name: string }>; volumeMounts: Array<{ name: string; mountPath: string }> }>; volumes: Array<{ name: string; configMap?: { name: string } }> } } } };

test("migrate start's objects: the ServiceAccount, RBAC and the kubeadm variant of the DaemonSet (kube-proxy's ConfigMap mounted), on labelled nodes only", () => {
  const objects = migrationObjects(readManifests());
  assert.deepEqual(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`), [
    'ServiceAccount kube-system/ipvs-proxy', 'ClusterRole -/ipvs-proxy', 'ClusterRoleBinding -/ipvs-proxy', 'DaemonSet kube-system/ipvs-proxy']);
  for (const o of objects) assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'ipvs-proxy', o.kind);
  const ds = objects.find((o) => o.kind === 'DaemonSet') as unknown as Ds;
  const pod = ds.spec.template.spec;
  assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux', [MIGRATION_LABEL]: 'true' });
  assert.deepEqual(pod.containers[0]!.args, ['run', '--config=/var/lib/kube-proxy/config.conf', '--node-name=$(NODE_NAME)']);
  assert.equal(pod.containers[0]!.env.some((e) => e.name === 'IPVS_PROXY_MASTER'), false, 'the endpoint comes from kubeconfig.conf');
  assert.deepEqual(pod.volumes[0], { name: 'kube-proxy', configMap: { name: 'kube-proxy' } });
  assert.deepEqual(pod.containers[0]!.volumeMounts[0], { name: 'kube-proxy', mountPath: '/var/lib/kube-proxy', readOnly: true });
  assert.equal(readDaemonSet(ds).onlyLabelled, true, 'the plan reads it as limited to labelled nodes');
  assert.equal(objectPath(objects[3]!), '/apis/apps/v1/namespaces/kube-system/daemonsets/ipvs-proxy');
});

test("migrate start's objects: --image and --master are carried into the DaemonSet; the manifests read are not changed", () => {
  const m = readManifests();
  const before = JSON.stringify(m);
  const ds = migrationObjects(m, { image: 'registry.example/ipvs-proxy:1.2', master: 'https://192.0.2.1:6443' }).find((o) => o.kind === 'DaemonSet') as unknown as Ds;
  assert.equal(ds.spec.template.spec.containers[0]!.image, 'registry.example/ipvs-proxy:1.2');
  assert.equal(ds.spec.template.spec.containers[0]!.args.at(-1), '--master=https://192.0.2.1:6443');
  assert.equal(JSON.stringify(m), before);
});

test("migrate start's change to kube-proxy: a required node affinity the plan reads as keeping off labelled nodes", () => {
  const o = kubeProxyAvoidance('kube-system');
  const withContainer = { ...o, spec: { template: { spec: { ...(o.spec as { template: { spec: object } }).template.spec, containers: [{ name: 'kube-proxy', image: 'k' }] } } } };
  assert.equal(readDaemonSet(withContainer).avoidsLabelled, true);
  assert.equal(objectPath(o), '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy');
});

test('migrate start: manifests are found from a folder below the project, and their absence is an error', () => {
  assert.equal(readManifests(`${process.cwd()}/lib/migrate`).namespace, 'kube-system');
  assert.throws(() => readManifests('/proc/self'), /no manifests\/kustomization\.yaml above \/proc\/self/);
});

test('migrate: without --kubeconfig it reads ~/.kube/config as kubectl does, and says so when there is none', async () => {
  const r = await cli(['migrate', 'plan'], { HOME: '/nonexistent' });
  assert.deepEqual([r.code, r.err], [1, 'ipvs-proxy migrate: no kubeconfig at /nonexistent/.kube/config: give one with --kubeconfig\n']);
});

test("migrate finish keeps kube-proxy's DaemonSet as kubeadm made it: the avoidance start added, the status and server-set metadata are left out", () => {
  const kubeadm = YAML.parseAllDocuments(readFileSync('scripts/cluster/kube-proxy.yaml', 'utf8')).map((d) => d.toJS() as { kind: string; spec: { template: { spec: Record<string, unknown> } } }).find((o) => o.kind === 'DaemonSet')!;
  const live = structuredClone(kubeadm) as typeof kubeadm & { metadata: Record<string, unknown>; status?: unknown };
  live.spec.template.spec.affinity = (kubeProxyAvoidance('kube-system').spec as { template: { spec: { affinity: unknown } } }).template.spec.affinity;
  live.metadata = { ...live.metadata, uid: 'u', resourceVersion: '9', generation: 3, managedFields: [{}], annotations: { 'deprecated.daemonset.template.generation': '3' } };
  live.status = { numberReady: 2 };
  const saved = savedForm(live);
  assert.deepEqual(saved.spec, kubeadm.spec, 'the spec as kubeadm made it');
  assert.deepEqual(Object.keys(saved.metadata).sort(), ['labels', 'name', 'namespace']);
  assert.equal('status' in saved, false);
  // an affinity of the operator's own is kept
  const own = structuredClone(live);
  own.spec.template.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['a'] }] }] } } };
  assert.deepEqual((savedForm(own).spec as typeof kubeadm.spec).template.spec.affinity, own.spec.template.spec.affinity);
});
