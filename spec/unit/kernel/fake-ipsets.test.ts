import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIpsets } from '../../fakes/fake-ipsets.js';
import { ipsetConformance, state, sync } from '../../helpers/ipset-conformance.js';

ipsetConformance('fake ipsets', async (body) => body(new FakeIpsets()));

test('fake ipsets: a set used by an iptables rule cannot be replaced by a different type', async () => {
  const ipsets = new FakeIpsets();
  await ipsets.apply([{ op: 'create', set: { name: 'KUBE-IPVS-IPS', type: 'hash:ip,port', family: 4 } }]);
  ipsets.referenced.add('KUBE-IPVS-IPS');
  await assert.rejects(sync(ipsets, [state('ipvsIps', 4, ['10.96.0.1'])]), /destroy KUBE-IPVS-IPS.*in use/);
});
