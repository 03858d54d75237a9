// How the tests' cluster deploys the proxy under test (scripts/cluster/proxies.ts): ipvs-proxy by
// an overlay that changes only the image and the control-plane endpoint, as a user's would; a
// DaemonSet counts as rolled out only when every node runs a ready pod of its current template.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { kubeBinary } from '../../helpers/control-plane.js';
import { run } from '../../helpers/exec.js';
import { daemonSetRolledOut, ipvsProxyOverlay } from '../../../scripts/cluster/proxies.js';
import { tempDir } from '../../helpers/temp-dir.js';

test('cluster deploy: the ipvs-proxy overlay, built by kubectl kustomize, differs from manifests/ only in the image and the apiServer value', async () => {
  const kubectl = kubeBinary('kubectl');
  const overlay = ipvsProxyOverlay(tempDir('overlay-'), 'https://10.10.0.1:6443', 'localhost/ipvs-proxy:test');
  const base = (await run(kubectl, 'kustomize', 'manifests')).split('\n');
  const ours = (await run(kubectl, 'kustomize', overlay)).split('\n');
  assert.equal(ours.length, base.length);
  const changed = ours.map((l, i) => [base[i], l]).filter(([b, l]) => b !== l);
  assert.deepEqual(changed, [
    ['  apiServer: https://CONTROL_PLANE_ENDPOINT:6443', '  apiServer: https://10.10.0.1:6443'],
    ['        image: ghcr.io/ipvs-proxy/ipvs-proxy:0.1.0', '        image: localhost/ipvs-proxy:test'],
  ]);
});

test('cluster deploy: a DaemonSet is rolled out when its current generation runs ready on every node, not before', () => {
  const ds = (status: Record<string, number>, generation = 2) => ({ metadata: { generation }, status });
  const done = { observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3 };
  assert.equal(daemonSetRolledOut(ds(done), 3), true);
  assert.equal(daemonSetRolledOut(ds(done), 4), false, 'a node joined and has no pod yet');
  assert.equal(daemonSetRolledOut(ds({ ...done, observedGeneration: 1 }), 3), false, 'the controller has not seen the new template');
  assert.equal(daemonSetRolledOut(ds({ ...done, updatedNumberScheduled: 2 }), 3), false, 'one pod still runs the old template');
  assert.equal(daemonSetRolledOut(ds({ ...done, numberReady: 2, numberAvailable: 2 }), 3), false, 'one pod not ready');
  assert.equal(daemonSetRolledOut({ metadata: { generation: 1 } }, 1), false, 'no status yet');
});
