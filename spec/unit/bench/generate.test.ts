// The benchmark's synthetic cluster must be valid at every size it runs: a malformed object is
// skipped by the model, so the benchmark would silently program less than it reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { service, slice, slice6 } from '../../../scripts/bench/generate.js';
import { buildDesiredState } from '../../../lib/model/build.js';
import { CONFIG, NODE } from '../../helpers/objects.js';
import { readSnapshot } from '../../../lib/sources/read-objects.js';

test('bench generator: the highest-numbered Services of a 30k cluster and their IPv4 and IPv6 slices are all valid', () => {
  const top = Array.from({ length: 20 }, (_, k) => 29_980 + k);
  const services = top.map(service);
  const endpointSlices = top.flatMap((i) => (i % 10 === 3 ? [slice(i, 10), slice6(i, 10)] : [slice(i, 10)]));
  const d = buildDesiredState(readSnapshot({ services, endpointSlices }), NODE, { ...CONFIG, families: [4, 6] });
  assert.deepEqual(d.problems, []);
  const clusterIp = d.virtualServers.filter((v) => v.role === 'cluster-ip');
  // 20 Services, 4 of them with a second port, 2 dual-stack: 26 ClusterIP virtual servers
  assert.equal(clusterIp.length, 26);
  for (const v of clusterIp) assert.equal(v.realServers.length, 10, `${v.vs.address}:${v.vs.port} has all 10 endpoints`);
});
