// `ipvs-proxy migrate plan` and `start` against a real API server (etcd, kube-apiserver and
// kube-controller-manager v1.26.1 on this host) holding kube-proxy as kubeadm deploys it
// (scripts/cluster/kube-proxy.yaml): what plan reads, where it says the move stands, that it
// refuses while a node is not Ready and changes nothing; what start applies, and that it applies
// it once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { ControlPlane } from '../helpers/control-plane.js';
import { createNode, serverSideApply, type Obj } from '../helpers/cluster-objects.js';
import { cli } from '../helpers/cli.js';

let cp: ControlPlane;
const ready = (cp: ControlPlane, node: string, status: 'True' | 'False') => cp.must('PATCH', `/api/v1/nodes/${node}/status`,
  { status: { conditions: [{ type: 'Ready', status, reason: 'Test', message: 'set by the test', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] } },
  'application/strategic-merge-patch+json');

before(async () => {
  cp = await ControlPlane.start();
  const objects = YAML.parseAllDocuments(readFileSync('scripts/cluster/kube-proxy.yaml', 'utf8').replaceAll('CONTROL_PLANE_ENDPOINT', 'https://192.0.2.1:6443')).map((d) => d.toJS() as Obj);
  for (const o of objects) await serverSideApply(cp, o);
  await createNode(cp, 'node-a', '192.0.2.11');
  await createNode(cp, 'node-b', '192.0.2.12');
});
after(async () => { await cp?.stop(); });

test("real API server: migrate plan reads kubeadm's kube-proxy (IPVS mode), refuses while a node is not Ready, then says what migrate start will do; nothing in the cluster changes", async () => {
  const kubeconfig = join(cp.dir, 'admin.kubeconfig');
  const before = JSON.stringify((await cp.must<{ items: unknown[] }>('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets')).items);
  await ready(cp, 'node-a', 'True');
  await ready(cp, 'node-b', 'False');
  const refused = await cli(['migrate', 'plan', '--kubeconfig', kubeconfig]);
  assert.equal(refused.code, 1, refused.err);
  assert.match(refused.out, /^Migration from kube-proxy: not started\nkube-proxy mode: ipvs\ncontrol-plane endpoint: https:\/\/192\.0\.2\.1:6443\n/);
  assert.match(refused.out, /It cannot go on:\n {2}- nodes not Ready: node-b;/);

  await ready(cp, 'node-b', 'True');
  const ok = await cli(['migrate', '--kubeconfig', kubeconfig, '--output', 'json']);
  assert.equal(ok.code, 0, ok.err + ok.out);
  const plan = JSON.parse(ok.out) as { stage: string; refusals: string[]; settings: Record<string, unknown>; onKubeProxy: string[]; next: string[] };
  assert.deepEqual([plan.stage, plan.refusals, plan.onKubeProxy], ['not started', [], ['node-a', 'node-b']]);
  assert.deepEqual(plan.settings.clusterCidr, ['10.244.0.0/16']);
  assert.match(plan.next[0]!, /^migrate start: create the ipvs-proxy ServiceAccount/);
  assert.equal(JSON.stringify((await cp.must<{ items: unknown[] }>('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets')).items), before, 'the DaemonSets are as they were');

  const early = await cli(['migrate', 'nodes', '--kubeconfig', kubeconfig]);
  assert.deepEqual([early.code, early.err], [1, 'ipvs-proxy migrate nodes: the migration has not started (migrate start)\n']);
  const unknownStep = await cli(['migrate', 'move', '--kubeconfig', kubeconfig]);
  assert.deepEqual([unknownStep.code, unknownStep.err], [2, 'ipvs-proxy migrate: unknown step "move"; the steps: plan, start, nodes, finish, rollback\n']);
});

test('real API server: migrate start installs ipvs-proxy for labelled nodes and keeps kube-proxy off them; the plan then says started; a second start changes nothing', async () => {
  const kubeconfig = join(cp.dir, 'admin.kubeconfig');
  // no kubelets here (no DaemonSet pod ever runs): start does not wait for kube-proxy's pods to restart
  const r = await cli(['migrate', 'start', '--kubeconfig', kubeconfig, '--image', 'localhost/ipvs-proxy:test', '--no-wait']);
  assert.equal(r.code, 0, r.err + r.out);
  assert.match(r.out, /^applied ServiceAccount kube-system\/ipvs-proxy\napplied ClusterRole ipvs-proxy\napplied ClusterRoleBinding ipvs-proxy\napplied DaemonSet kube-system\/ipvs-proxy\nkube-proxy's DaemonSet keeps off labelled nodes/);
  assert.match(r.out, /\n\nMigration from kube-proxy: started\n/);
  assert.match(r.out, /not waited for \(--no-wait\)\)\n/);
  assert.match(r.out, /Next:\n {2}- migrate nodes: move node-a, node-b one at a time/);
  type Ds = { metadata: { generation: number }; spec: { template: { spec: { nodeSelector: Record<string, string>; affinity?: unknown; containers: Array<{ image: string; args: string[] }> } } } };
  const ds = await cp.must<Ds>('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets/ipvs-proxy');
  assert.equal(ds.spec.template.spec.nodeSelector['ipvs-proxy.io/enabled'], 'true');
  assert.deepEqual([ds.spec.template.spec.containers[0]!.image, ds.spec.template.spec.containers[0]!.args[1]], ['localhost/ipvs-proxy:test', '--config=/var/lib/kube-proxy/config.conf']);
  const kp = await cp.must<Ds>('GET', '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy');
  assert.deepEqual(kp.spec.template.spec.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'ipvs-proxy.io/enabled', operator: 'DoesNotExist' }] }] } } });
  assert.equal(kp.spec.template.spec.containers[0]!.image, 'registry.k8s.io/kube-proxy:v1.26.1', "the rest of kube-proxy's DaemonSet is as kubeadm made it");
  // the ServiceAccount may read what the proxy needs (its ClusterRole was applied)
  const review = await cp.must<{ status: { allowed: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
    spec: { user: 'system:serviceaccount:kube-system:ipvs-proxy', resourceAttributes: { group: 'discovery.k8s.io', resource: 'endpointslices', verb: 'watch' } } });
  assert.equal(review.status.allowed, true);

  const again = await cli(['migrate', 'start', '--kubeconfig', kubeconfig, '--image', 'localhost/ipvs-proxy:test', '--no-wait']);
  assert.equal(again.code, 0, again.err);
  const generations = await Promise.all(['ipvs-proxy', 'kube-proxy'].map((n) => cp.must<Ds>('GET', `/apis/apps/v1/namespaces/kube-system/daemonsets/${n}`)));
  assert.deepEqual(generations.map((d) => d.metadata.generation), [ds.metadata.generation, kp.metadata.generation], 'a second start changes neither DaemonSet');
});
