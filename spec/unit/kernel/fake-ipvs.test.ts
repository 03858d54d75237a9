import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIpvs } from '../../../lib/kernel/ipvs/fake-ipvs.js';
import { ipvsConformance, rs, vs, SAMPLE } from '../../helpers/ipvs-conformance.js';
import { SvcFlags } from '../../../lib/kernel/ipvs/types.js';

ipvsConformance('fake IPVS', async () => new FakeIpvs(), async () => undefined);

test('fake IPVS prints itself as ipvsadm -Sn does', async () => {
  const ipvs = new FakeIpvs();
  for (const e of SAMPLE) {
    await ipvs.addVirtualServer(e.vs);
    for (const r of e.rs) await ipvs.addRealServer(e.vs, r);
  }
  assert.equal(ipvs.save(), [
    '-A -t 10.96.0.1:443 -s rr',
    '-a -t 10.96.0.1:443 -r 192.168.1.10:6443 -m -w 1',
    '-a -t 10.96.0.1:443 -r 192.168.1.11:6443 -m -w 1',
    '-A -t 10.96.0.30:80 -s rr -p 10800',
    '-a -t 10.96.0.30:80 -r 10.244.1.20:8080 -m -w 1',
    '-A -t 10.96.0.31:80 -s rr -p 300 -M 255.255.255.0',
    '-A -t [fd00:10:96::1]:443 -s rr',
    '-a -t [fd00:10:96::1]:443 -r [fd00:10:244:1::5]:8443 -m -w 1',
    '-a -t [fd00:10:96::1]:443 -r [fd00:10:244:2::7]:8443 -m -w 1',
    '-A -t [fd00:10:96::b]:80 -s rr -p 60',
    '-a -t [fd00:10:96::b]:80 -r [fd00:10:244:1::20]:80 -m -w 3',
    '-A -u 10.96.0.10:53 -s lc',
    '-a -u 10.96.0.10:53 -r 10.244.1.5:53 -m -w 1',
    '-a -u 10.96.0.10:53 -r 10.244.2.7:53 -m -w 1',
    '-A -u [fd00:10:96::a]:53 -s mh -b mh-fallback,mh-port',
    '-a -u [fd00:10:96::a]:53 -r [fd00:10:244:1::9]:53 -m -w 1',
    '-A --sctp-service 10.96.0.20:3868 -s sh -b sh-port',
    '-a --sctp-service 10.96.0.20:3868 -r 10.244.1.9:3868 -m -w 1',
    '',
  ].join('\n'));
});

test('fake IPVS reports the connection counters a test sets', async () => {
  const ipvs = new FakeIpvs();
  const v = vs({ address: '10.96.0.1', port: 80, flags: SvcFlags.PERSISTENT, timeout: 60 });
  await ipvs.addVirtualServer(v);
  await ipvs.addRealServer(v, rs('10.244.0.1', 80));
  ipvs.setConnections(v, rs('10.244.0.1', 80), 3, 5);
  const [d] = await ipvs.listRealServers(v);
  assert.equal(d?.activeConnections, 3);
  assert.equal(d?.inactiveConnections, 5);
});
