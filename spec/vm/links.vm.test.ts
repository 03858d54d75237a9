// The rtnetlink links adapter against the real kernel (VM only), with `ip` as the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtnetlinkLinks } from '../../lib/kernel/links/rtnetlink-links.js';
import { linksConformance } from '../helpers/links-conformance.js';
import { exec, run } from '../helpers/exec.js';

async function cleanup(): Promise<void> {
  await exec('ip', ['link', 'del', 'kube-ipvs0']);
  await exec('ip', ['link', 'del', 'ipvs-test0']);
}

linksConformance('rtnetlink links (VM)', {
  open: async () => new RtnetlinkLinks(),
  makeOtherLink: async (_links, name) => { await run('ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`); },
  cleanup: async () => cleanup(),
});

test('rtnetlink links (VM): kube-ipvs0 is a DOWN dummy link and ip shows exactly the bound addresses', async () => {
  const links = new RtnetlinkLinks();
  try {
    await links.ensureDummyLink('kube-ipvs0');
    for (const a of ['10.96.0.1', '10.100.200.3', 'fd00:10:96::1']) await links.addAddress('kube-ipvs0', a);
    const link = await run('ip', '-d', '-o', 'link', 'show', 'kube-ipvs0');
    assert.match(link, /state DOWN/);
    assert.match(link, /\bdummy\b/);
    const shown = (await run('ip', '-o', 'addr', 'show', 'dev', 'kube-ipvs0')).trim().split('\n')
      .map((l) => /inet6? (\S+)/.exec(l)?.[1]).sort();
    assert.deepEqual(shown, ['10.100.200.3/32', '10.96.0.1/32', 'fd00:10:96::1/128']);
    assert.deepEqual((await links.listAddresses('kube-ipvs0')).sort(), ['10.100.200.3', '10.96.0.1', 'fd00:10:96::1']);
    await links.deleteLink('kube-ipvs0');
    assert.notEqual((await exec('ip', ['link', 'show', 'kube-ipvs0'])).code, 0);
  } finally {
    links.close();
    await cleanup();
  }
});

test('rtnetlink links (VM): a kube-ipvs0 recreated behind the adapter\'s back (new index) still gets its addresses', async () => {
  const links = new RtnetlinkLinks();
  try {
    await links.ensureDummyLink('kube-ipvs0');
    await links.addAddress('kube-ipvs0', '10.96.0.1');
    await run('ip', 'link', 'del', 'kube-ipvs0');
    await run('ip', 'link', 'add', 'ipvs-test0', 'type', 'dummy'); // takes the old index's neighbourhood
    await run('ip', 'link', 'add', 'kube-ipvs0', 'type', 'dummy');
    await links.addAddress('kube-ipvs0', '10.96.0.2');
    assert.deepEqual(await links.listAddresses('kube-ipvs0'), ['10.96.0.2']);
  } finally {
    links.close();
    await cleanup();
  }
});

test('rtnetlink links (VM): the node\'s addresses are read once and kept while only kube-ipvs0 changes; a change elsewhere reads them again', async () => {
  const links = new RtnetlinkLinks();
  try {
    await links.ensureDummyLink('kube-ipvs0');
    await links.addAddress('kube-ipvs0', '10.96.0.1');
    await links.nodeAddresses();
    await new Promise((r) => setTimeout(r, 300));
    await links.nodeAddresses(); // the read that follows the first notifications
    const reads = links.addressReads;
    for (let i = 2; i < 200; i++) await links.addAddress('kube-ipvs0', `10.96.1.${i}`);
    await new Promise((r) => setTimeout(r, 300));
    const kept = await links.nodeAddresses();
    assert.equal(links.addressReads, reads, '198 binds on kube-ipvs0: no new read');
    assert.ok(!kept.some((a) => a.address.startsWith('10.96.')));
    await run('ip', 'link', 'add', 'ipvs-test0', 'type', 'dummy');
    await run('ip', 'addr', 'add', '192.0.2.99/24', 'dev', 'ipvs-test0');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await links.nodeAddresses()).some((a) => a.address === '192.0.2.99' && a.link === 'ipvs-test0'));
    assert.equal(links.addressReads, reads + 1);
  } finally {
    links.close();
    await cleanup();
  }
});
