// Model, plan and apply on the real kernel (VM): the example cluster is programmed, a second sync
// has nothing to do, and the kernel's own tools print what `ipvs-proxy plan` printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDesiredState } from '../../lib/model/build.js';
import { planSync } from '../../lib/plan/plan.js';
import { operationCount } from '../../lib/plan/operations.js';
import { observe } from '../../lib/sync/observe.js';
import { syncOnce } from '../../lib/sync/sync-once.js';
import { readObjectsFile } from '../../lib/sources/objects-file.js';
import { ownedRulesOf, inSaveOrder } from '../../lib/kernel/iptables/save-text.js';
import { OWNED_CHAINS } from '../../lib/model/skeleton.js';
import { createLogger } from '../../lib/log.js';
import { CONFIG } from '../helpers/objects.js';
import { exec, run } from '../helpers/exec.js';
import { openRealKernel, resetKernel } from '../helpers/real-kernel.js';
import { readSnapshot } from '../../lib/sources/read-objects.js';

const sorted = (text: string) => text.split('\n').filter(Boolean).sort();
const log = createLogger('fatal');

test('VM sync: examples/cluster.yaml is programmed, a second sync plans nothing, and ipvsadm/ipset/iptables-save match `ipvs-proxy plan`', async () => {
  await resetKernel();
  await run('ip', 'link', 'add', 'node0', 'type', 'dummy');
  const kernel = await openRealKernel();
  try {
    await run('ip', 'addr', 'add', '192.168.1.10/24', 'dev', 'node0');
    await run('ip', '-6', 'addr', 'add', 'fd00:1::10/64', 'dev', 'node0', 'nodad');
    const objects = await readObjectsFile('examples/cluster.yaml');
    const node = { name: 'node-a', labels: {}, addresses: await kernel.links.listLocalAddresses(), primaryAddresses: [] };
    const config = { ...CONFIG, clusterCidrs: ['10.244.0.0/16'], nodePortAddresses: ['192.168.1.0/24', 'fd00:1::/64'] };
    const desired = buildDesiredState(readSnapshot(objects), node, config);
    const first = await syncOnce(kernel, desired, { excludeCidrs: [] }, log);
    assert.deepEqual(first.result.failed.map((f) => f.error.message), []);
    assert.ok(operationCount(first.operations) > 40, `${operationCount(first.operations)} operations`);
    assert.deepEqual(planSync(desired, await observe(kernel, config.families), { excludeCidrs: [] }), []);

    const plan = async (format: string) => (await exec('bin/ipvs-proxy', ['plan', '--objects', 'examples/cluster.yaml', '--node-name', 'node-a',
      '--cluster-cidr', '10.244.0.0/16', '--nodeport-addresses', '192.168.1.0/24,fd00:1::/64', '--format', format])).stdout;
    assert.deepEqual(sorted(await run('ipvsadm', '-Sn')), sorted(await plan('ipvsadm')));
    // ipset save adds bucketsize and initval to create lines: compare the members
    const adds = (t: string) => sorted(t).filter((l) => l.startsWith('add KUBE-'));
    assert.deepEqual(adds(await run('ipset', 'save')), adds(await plan('ipset')));
    const planned = (await plan('iptables')).split('\n').filter((l) => l.startsWith('-A '));
    const live = [...ownedRulesOf(await run('iptables-save', '-t', 'nat'), OWNED_CHAINS.nat), ...ownedRulesOf(await run('iptables-save', '-t', 'filter'), OWNED_CHAINS.filter)];
    assert.deepEqual(live.sort(), inSaveOrder(planned).sort());
    assert.deepEqual(sorted(await run('ip', '-br', 'addr', 'show', 'kube-ipvs0')).length, 1);
    assert.match(await run('ip', 'addr', 'show', 'kube-ipvs0'), /inet 198\.51\.100\.7\/32/);
  } finally {
    kernel.close();
    await resetKernel();
    await exec('ip', ['link', 'del', 'node0']);
  }
});
