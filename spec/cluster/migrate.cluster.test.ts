// `ipvs-proxy migrate plan` against a real API server (etcd, kube-apiserver and
// kube-controller-manager v1.26.1 on this host) holding kube-proxy as kubeadm deploys it
// (scripts/cluster/kube-proxy.yaml): what it reads, where it says the move stands, and that it
// refuses while a node is not Ready. It changes nothing.
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

  const unknownStep = await cli(['migrate', 'start', '--kubeconfig', kubeconfig]);
  assert.deepEqual([unknownStep.code, unknownStep.err], [2, 'ipvs-proxy migrate: unknown step "start"; the steps built so far: plan\n']);
});
