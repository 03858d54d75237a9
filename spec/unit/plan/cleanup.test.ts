// cleanup against the fake kernel: what service proxying made goes, everything else stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDesiredState } from '../../../lib/model/build.js';
import { syncOnce } from '../../../lib/sync/sync-once.js';
import { applyCleanup, describeCleanup, planCleanup } from '../../../lib/cleanup/cleanup.js';
import { CONFIG, slice, svc } from '../../helpers/objects.js';
import { fakeKernel, memoryLogger } from '../../helpers/fake-kernel.js';
import { rs, vs } from '../../helpers/ipvs-conformance.js';
import { readSnapshot } from '../../../lib/sources/read-objects.js';

test('cleanup: removes our virtual servers, jump rules, chains, sets and kube-ipvs0; keeps foreign and excluded virtual servers and other rules', async () => {
  const k = fakeKernel();
  const { log } = memoryLogger();
  k.iptables.tamper(4, 'filter', 'INPUT', ['-s 192.0.2.1/32 -j ACCEPT']);
  const keepalived = vs({ address: '192.0.2.10', port: 80 });
  await k.ipvs.addVirtualServer(keepalived);
  await k.ipvs.addRealServer(keepalived, rs('192.0.2.20', 80));
  const objs = [svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), slice('web-1', 'web', ['10.244.1.5']),
    svc('dns', { clusterIPs: ['10.96.5.53'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })];
  const node = { name: 'node-a', labels: {}, addresses: await k.links.listLocalAddresses(), primaryAddresses: [] };
  const sync = await syncOnce(k, buildDesiredState(readSnapshot({ services: objs.filter((o) => o.kind === 'Service'), endpointSlices: objs.filter((o) => o.kind === 'EndpointSlice') }), node, CONFIG), { excludeCidrs: [] }, log);
  assert.equal(sync.result.failed.length, 0);

  const plan = await planCleanup(k, [4, 6], ['10.96.5.0/24']);
  assert.deepEqual(plan.kept.map((v) => v.address).sort(), ['10.96.5.53', '192.0.2.10']);
  assert.equal(plan.operations.filter((o) => o.kind === 'delete-virtual-server').length, 3, 'ClusterIP and two NodePort virtual servers');
  const text = describeCleanup(plan);
  assert.ok(text.includes('delete IPv4 nat chain KUBE-SERVICES'));
  assert.ok(text.includes('delete IPv6 filter rule INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER'));
  assert.ok(text.includes('destroy set KUBE-6-CLUSTER-IP'));
  assert.equal(text.at(-1), 'delete link kube-ipvs0');

  const result = await applyCleanup(k, plan, log);
  assert.deepEqual(result.failed, []);
  assert.deepEqual([result.removed, result.skipped], [text.length, 0]);
  assert.equal(k.ipvs.save(), '-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 192.0.2.20:80 -m -w 1\n-A -u 10.96.5.53:53 -s rr\n');
  for (const f of [4, 6] as const) for (const t of ['nat', 'filter'] as const) assert.doesNotMatch(await k.iptables.save(f, t), /KUBE-/);
  assert.match(await k.iptables.save(4, 'filter'), /^-A INPUT -s 192\.0\.2\.1\/32 -j ACCEPT$/m);
  assert.equal((await k.ipsets.list()).size, 0);
  await assert.rejects(k.links.listAddresses('kube-ipvs0'), /ENODEV/);
  const again = await planCleanup(k, [4, 6], ['10.96.5.0/24']);
  assert.deepEqual(describeCleanup(again), [], 'a second cleanup has nothing to do');
});

test('cleanup: a rule write that fails stops the removals that depend on it, and says how many were not attempted', async () => {
  const k = fakeKernel();
  const { log } = memoryLogger();
  const objs = [svc('web'), slice('web-1', 'web', ['10.244.1.5'])];
  const node = { name: 'node-a', labels: {}, addresses: await k.links.listLocalAddresses(), primaryAddresses: [] };
  await syncOnce(k, buildDesiredState(readSnapshot({ services: objs.filter((o) => o.kind === 'Service'), endpointSlices: objs.filter((o) => o.kind === 'EndpointSlice') }), node, CONFIG), { excludeCidrs: [] }, log);
  // another program's rule jumps to one of the owned chains: it cannot be deleted
  k.iptables.tamper(4, 'filter', 'OUTPUT', ['-j KUBE-IPVS-OUT-FILTER', '-m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER']);
  const plan = await planCleanup(k, [4, 6], []);
  const result = await applyCleanup(k, plan, log);
  assert.equal(result.failed.length, 1);
  assert.match(result.failed[0]!.what, /^iptables-restore filter$/);
  assert.match(result.failed[0]!.error, /chain KUBE-IPVS-OUT-FILTER is referenced/);
  assert.ok(result.skipped > 0 && result.removed > 0, `${result.removed} removed, ${result.skipped} skipped`);
  assert.ok((await k.ipsets.list()).size > 0, 'the sets the rules may still use are kept');
  assert.equal(result.removed + result.skipped + describeCleanup({ operations: [plan.operations.find((o) => o.kind === 'iptables-restore' && o.family === 4 && o.write.table === 'filter')!], kept: [] }).length, describeCleanup(plan).length);
});
