// The manifests: valid against the Kubernetes schemas (kubernetes-models: types, enums, required
// fields), no field the API would drop (a round trip through client-node's typed models), and the
// settings the proxy needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import YAML from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, ServiceAccount } from 'kubernetes-models/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { cli, configFile } from '../helpers/cli.js';

type Obj = { kind: string; metadata: { name: string }; [k: string]: unknown };
const DIR = 'manifests';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const docs: Array<{ file: string; obj: Obj }> = files.flatMap((file) =>
  YAML.parseAllDocuments(readFileSync(`${DIR}/${file}`, 'utf8')).map((d) => ({ file, obj: d.toJS() as Obj })));
const MODELS: Record<string, { model: new (o: never) => { validate(): void }; type: string }> = {
  DaemonSet: { model: DaemonSet as never, type: 'V1DaemonSet' },
  ConfigMap: { model: ConfigMap as never, type: 'V1ConfigMap' },
  ServiceAccount: { model: ServiceAccount as never, type: 'V1ServiceAccount' },
  ClusterRole: { model: ClusterRole as never, type: 'V1ClusterRole' },
  ClusterRoleBinding: { model: ClusterRoleBinding as never, type: 'V1ClusterRoleBinding' },
};
/** Through client-node's typed model and back: a field the API does not know is dropped. */
const roundTrip = (obj: unknown, type: string) => JSON.parse(JSON.stringify(ObjectSerializer.serialize(ObjectSerializer.deserialize(obj, type, ''), type, ''))) as unknown;
const of = (kind: string) => docs.filter((d) => d.obj.kind === kind).map((d) => d.obj);

test('manifests: every object validates against its Kubernetes schema and has no unknown field', () => {
  assert.ok(docs.length >= 5);
  for (const { file, obj } of docs) {
    const m = MODELS[obj.kind];
    assert.ok(m, `${file}: unexpected kind ${obj.kind}`);
    assert.doesNotThrow(() => new m.model(obj as never).validate(), `${file}: ${obj.kind} ${obj.metadata.name}`);
    assert.deepEqual(roundTrip(obj, m.type), obj, `${file}: a field the API does not know`);
  }
});

test('manifests: the schema check does catch a bad manifest (a string port, an unknown field)', () => {
  const ds = structuredClone(of('DaemonSet')[0]!) as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
  ds.spec.template.spec.containers[0]!.ports = [{ containerPort: 'ten' }];
  assert.throws(() => new DaemonSet(ds as never).validate());
  const typo = structuredClone(of('DaemonSet')[0]!) as unknown as { spec: { template: { spec: Record<string, unknown> } } };
  typo.spec.template.spec.hostNetwrok = true;
  assert.notDeepEqual(roundTrip(typo, 'V1DaemonSet'), typo);
});

test('manifests: kustomization lists every manifest', () => {
  const k = YAML.parse(readFileSync(`${DIR}/kustomization.yaml`, 'utf8')) as { resources: string[] };
  assert.deepEqual([...k.resources].sort(), [...files].sort());
});

test('manifests: the DaemonSet runs like kube-proxy: host network, node-critical, every taint, node name, probes on the healthz port, xtables lock', () => {
  const ds = of('DaemonSet')[0] as unknown as DaemonSet;
  const pod = ds.spec!.template.spec!;
  const c = pod.containers[0]!;
  assert.equal(pod.hostNetwork, true);
  assert.equal(pod.priorityClassName, 'system-node-critical');
  assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
  assert.equal(ds.spec!.updateStrategy?.rollingUpdate?.maxUnavailable, 1);
  assert.deepEqual(c.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
  assert.ok(c.args?.includes('--node-name=$(NODE_NAME)'));
  assert.equal(c.livenessProbe?.httpGet?.port, 10256);
  assert.equal(c.livenessProbe?.httpGet?.path, '/livez');
  assert.equal(c.readinessProbe?.httpGet?.path, '/healthz');
  assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory);
  assert.ok(c.volumeMounts?.some((m) => m.mountPath === '/run/xtables.lock'));
  assert.ok(c.volumeMounts?.some((m) => m.mountPath === '/lib/modules' && m.readOnly));
  // the API server from the ConfigMap's one placeholder, not the kubernetes Service
  const master = c.env?.find((e) => e.name === 'IPVS_PROXY_MASTER')?.valueFrom?.configMapKeyRef;
  assert.deepEqual(master, { name: 'ipvs-proxy', key: 'apiServer' });
  assert.equal((of('ConfigMap')[0] as unknown as ConfigMap).data!.apiServer, 'https://CONTROL_PLANE_ENDPOINT:6443');
  const configArg = c.args?.find((a) => a.startsWith('--config='))?.slice('--config='.length);
  assert.ok(configArg && c.volumeMounts?.some((m) => configArg.startsWith(`${m.mountPath}/`) && m.name === 'config'));
});

test('manifests: RBAC lists and watches services, endpointslices and nodes, and creates events.k8s.io Events; nothing else', () => {
  const role = of('ClusterRole')[0] as unknown as ClusterRole;
  const rules = role.rules!.flatMap((r) => r.apiGroups!.flatMap((g) => r.resources!.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))).sort();
  assert.deepEqual([...new Set(rules)], ['/nodes:list', '/nodes:watch', '/services:list', '/services:watch', 'discovery.k8s.io/endpointslices:list', 'discovery.k8s.io/endpointslices:watch', 'events.k8s.io/events:create']);
  const binding = of('ClusterRoleBinding')[0] as unknown as ClusterRoleBinding;
  const sa = of('ServiceAccount')[0]!;
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'kube-system' }]);
  assert.equal((of('DaemonSet')[0] as unknown as DaemonSet).spec!.template.spec!.serviceAccountName, sa.metadata.name);
});

test("manifests: the ConfigMap's config.yaml is a valid ipvs-proxy configuration", async () => {
  const cm = of('ConfigMap')[0] as unknown as ConfigMap;
  const r = await cli(['show-config', '--config', configFile('config.yaml', cm.data!['config.yaml']!)]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
});

test("manifests: the proxy's pods carry k8s-app=kube-proxy, as the cluster's service proxy (upstream's e2e tests, monitoring and runbooks find it by that label); the DaemonSet selects its pods by app.kubernetes.io/name, not that shared label", () => {
  const [ds] = of('DaemonSet') as unknown as Array<{ spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } } }>;
  assert.equal(ds!.spec.template.metadata.labels['k8s-app'], 'kube-proxy');
  assert.deepEqual(ds!.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'ipvs-proxy' });
  for (const [k, v] of Object.entries(ds!.spec.selector.matchLabels)) assert.equal(ds!.spec.template.metadata.labels[k], v, 'the selector matches the template');
});
