// The iptables adapter against the host kernel, in a fresh network namespace per test (root).
// The KUBE-* sets must exist before rules can match them, so each namespace gets them first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IptablesCli } from '../../lib/kernel/iptables/iptables-cli.js';
import { inNamespace } from '../helpers/in-namespace.js';
import { iptablesConformance } from '../helpers/iptables-conformance.js';
import { withNetns } from '../helpers/netns.js';
import { createKubeSets } from '../helpers/kernel-assert.js';
import { run } from '../helpers/exec.js';

async function withKubeNetns(body: (ns: string) => Promise<void>): Promise<void> {
  await withNetns('ipt', async (ns) => {
    await createKubeSets(ns);
    await body(ns);
  });
}

iptablesConformance('iptables tools (root, netns)', (body) => withKubeNetns(async (ns) => body(await IptablesCli.detect(inNamespace(ns)))));

test('iptables tools (root, netns): the backend is the one that already holds the node\'s rules', async () => {
  await withKubeNetns(async (ns) => {
    const fresh = await IptablesCli.detect(inNamespace(ns));
    const version = await run('iptables', '--version');
    assert.equal(fresh.backend, /legacy/.test(version) ? 'legacy' : 'nft', 'an empty node follows the system default');
    const other = fresh.backend === 'nft' ? 'legacy' : 'nft';
    await run('ip', 'netns', 'exec', ns, `iptables-${other}`, '-t', 'nat', '-N', 'KUBE-SERVICES');
    assert.equal((await IptablesCli.detect(inNamespace(ns))).backend, other, 'KUBE- chains of the other backend win');
  });
});
