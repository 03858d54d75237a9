// A slice of upstream's Services e2e tests (e2e-network.test v1.26.1) on the real cluster of
// scripts/cluster/with-cluster (nodes in the VM, ipvs-proxy deployed by kubectl apply -k, run by
// the kubelets); the whole suite is `npm run conformance`.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeCluster } from '../../scripts/cluster/cluster.js';
import { focusFor, runE2e, type SpecResult } from '../../scripts/cluster/e2e.js';

const SLICE = [
  'should serve a basic endpoint from pods',
  'should have session affinity work for service with type clusterIP',
  'should be able to create a functioning NodePort service',
];
let results: SpecResult[] = [];

before(async () => {
  const cluster = KubeCluster.attach();
  const dir = join(cluster.dir, 'e2e-slice');
  mkdirSync(dir, { recursive: true });
  results = await runE2e({ kubeconfig: cluster.kubeconfig, reportDir: dir, focus: focusFor(SLICE.join('|')), timeout: '40m', onSpec: (l) => console.log(`e2e: ${l}`) });
});

for (const name of SLICE) {
  test(`upstream e2e (real cluster, VM): [sig-network] Services ${name}`, () => {
    const r = results.find((x) => x.name.startsWith(`[sig-network] Services ${name}`));
    assert.ok(r, `not run; ran: ${results.map((x) => x.name).join('; ')}`);
    assert.equal(r.state, 'passed', r.reason);
  });
}
