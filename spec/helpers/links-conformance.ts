// One behaviour suite for every Links implementation (fake in unit tests, rtnetlink in the VM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWith } from './kernel-assert.js';
import type { Links } from '../../lib/kernel/links/types.js';

const LINK = 'kube-ipvs0';

export interface LinksHarness {
  open(): Promise<Links>;
  /** Create a link that is not a dummy under this name. */
  makeOtherLink(links: Links, name: string): Promise<void>;
  cleanup(links: Links): Promise<void>;
}

export function linksConformance(label: string, h: LinksHarness): void {
  const withLinks = (name: string, body: (links: Links) => Promise<void>) =>
    test(`${label}: ${name}`, async () => {
      const links = await h.open();
      try { await body(links); } finally { await h.cleanup(links); links.close(); }
    });

  withLinks('ensureDummyLink creates kube-ipvs0 once and then finds it', async (links) => {
    assert.deepEqual(await links.ensureDummyLink(LINK), { created: true });
    assert.deepEqual(await links.ensureDummyLink(LINK), { created: false });
    assert.deepEqual(await links.listAddresses(LINK), []);
  });

  withLinks('/32 and /128 addresses are bound, listed and unbound; errors as the kernel gives them', async (links) => {
    await links.ensureDummyLink(LINK);
    for (const a of ['10.96.0.1', '10.96.0.10', 'fd00:10:96::1', 'fd00:10:96::a']) await links.addAddress(LINK, a);
    assert.deepEqual((await links.listAddresses(LINK)).sort(), ['10.96.0.1', '10.96.0.10', 'fd00:10:96::1', 'fd00:10:96::a']);
    await rejectsWith(links.addAddress(LINK, '10.96.0.1'), 'EEXIST');
    await rejectsWith(links.addAddress(LINK, 'fd00:10:96::1'), 'EEXIST');
    await links.deleteAddress(LINK, '10.96.0.10');
    await links.deleteAddress(LINK, 'fd00:10:96::a');
    assert.deepEqual((await links.listAddresses(LINK)).sort(), ['10.96.0.1', 'fd00:10:96::1']);
    await rejectsWith(links.deleteAddress(LINK, '10.96.0.10'), 'EADDRNOTAVAIL');
    await rejectsWith(links.deleteAddress(LINK, 'fd00:10:96::a'), 'EADDRNOTAVAIL');
    await rejectsWith(links.listAddresses('no-such-link'), 'ENODEV');
    await rejectsWith(links.addAddress('no-such-link', '10.0.0.1'), 'ENODEV');
  });

  withLinks('listLocalAddresses names the link of every address, both families', async (links) => {
    await links.ensureDummyLink(LINK);
    await links.addAddress(LINK, '10.96.0.1');
    await links.addAddress(LINK, 'fd00:10:96::1');
    const all = await links.listLocalAddresses();
    const has = (address: string, link: string) => all.some((a) => a.address === address && a.link === link);
    assert.ok(has('127.0.0.1', 'lo'), JSON.stringify(all));
    assert.ok(has('::1', 'lo'), JSON.stringify(all));
    assert.ok(has('10.96.0.1', LINK));
    assert.ok(has('fd00:10:96::1', LINK));
    assert.equal(all.find((a) => a.address === '10.96.0.1')?.prefixLength, 32);
    assert.equal(all.find((a) => a.address === 'fd00:10:96::1')?.prefixLength, 128);
  });

  withLinks('nodeAddresses holds every link\'s addresses but kube-ipvs0\'s, and follows a new address on another link', async (links) => {
    await links.ensureDummyLink(LINK);
    await links.addAddress(LINK, '10.96.0.1');
    await h.makeOtherLink(links, 'ipvs-test0');
    const first = await links.nodeAddresses();
    assert.ok(first.some((a) => a.address === '127.0.0.1' && a.link === 'lo'), JSON.stringify(first));
    assert.ok(!first.some((a) => a.link === LINK));
    await links.addAddress(LINK, '10.96.0.2');
    await links.addAddress('ipvs-test0', '192.0.2.77');
    // a kernel reports the change asynchronously: give it a moment
    for (let i = 0; i < 50 && !(await links.nodeAddresses()).some((a) => a.address === '192.0.2.77'); i++) await new Promise((r) => setTimeout(r, 100));
    const after = await links.nodeAddresses();
    assert.ok(after.some((a) => a.address === '192.0.2.77' && a.link === 'ipvs-test0'), JSON.stringify(after));
    assert.ok(!after.some((a) => a.link === LINK));
  });

  withLinks('a name taken by another kind of link is an error, not adopted', async (links) => {
    await h.makeOtherLink(links, 'ipvs-test0');
    await assert.rejects(links.ensureDummyLink('ipvs-test0'), /create dummy link ipvs-test0: EEXIST \(a link of kind "veth"/);
  });

  withLinks('deleting a missing link is ENODEV', async (links) => {
    await rejectsWith(links.deleteLink('no-such-link'), 'ENODEV');
  });
}
