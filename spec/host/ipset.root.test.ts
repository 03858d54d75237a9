// The ipset adapter against the host kernel, in a fresh network namespace per test (root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpsetCli } from '../../lib/kernel/ipset/ipset-cli.js';
import { parseIpsetSave, formatIpsetSave } from '../../lib/kernel/ipset/save-format.js';
import { runTool } from '../../lib/kernel/tool.js';
import { inNamespace } from '../helpers/in-namespace.js';
import { ipsetConformance, state, sync } from '../helpers/ipset-conformance.js';
import { withNetns } from '../helpers/netns.js';

ipsetConformance('ipset tool (root, netns)', (body) => withNetns('ipset', (ns) => body(new IpsetCli(inNamespace(ns)))));

test('ipset tool (root, netns): ipset save shows exactly what the adapter synced, 10,000 members in one restore', async (t) => {
  await withNetns('ipset', async (ns) => {
    const ipsets = new IpsetCli(inNamespace(ns));
    const members = Array.from({ length: 10_000 }, (_, i) => `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255},tcp:${80 + (i % 3)}`);
    const desired = [state('clusterIp', 4, members)];
    let start = performance.now();
    const first = await sync(ipsets, desired);
    t.diagnostic(`created and filled a 10,000-member set in ${Math.round(performance.now() - start)} ms (one ipset restore)`);
    assert.equal(first.added, 10_000);
    const saved = parseIpsetSave((await runTool('ip', ['netns', 'exec', ns, 'ipset', 'save'])).stdout);
    assert.equal(formatIpsetSave(saved.values()), formatIpsetSave(desired));
    // Replace 1% of the members: a patch, not a rebuild.
    const next = [state('clusterIp', 4, [...members.slice(100), ...members.slice(0, 100).map((m) => m.replace(/^10\./, '172.'))])];
    start = performance.now();
    const patch = await sync(ipsets, next);
    t.diagnostic(`synced a 1% change (100 del + 100 add) of the 10,000-member set in ${Math.round(performance.now() - start)} ms (one ipset save + one ipset restore)`);
    assert.deepEqual([patch.added, patch.deleted, patch.rebuilt], [100, 100, 0]);
    start = performance.now();
    await sync(ipsets, next, true);
    t.diagnostic(`rebuilt it through swap in ${Math.round(performance.now() - start)} ms`);
    const after = parseIpsetSave((await runTool('ip', ['netns', 'exec', ns, 'ipset', 'save'])).stdout);
    assert.equal(formatIpsetSave(after.values()), formatIpsetSave(next));
  });
});
