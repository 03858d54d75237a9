// One behaviour suite for every Ipvs implementation: the fake in unit tests and the netlink
// adapter in the VM must give the same answers, errors included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWith } from './kernel-assert.js';
import { SvcFlags, type Ipvs, type RealServer, type VirtualServer } from '../../lib/kernel/ipvs/types.js';

export const vs = (over: Partial<VirtualServer> & Pick<VirtualServer, 'address' | 'port'>): VirtualServer => ({
  family: over.address.includes(':') ? 6 : 4, protocol: 'tcp', scheduler: 'rr', flags: 0, timeout: 0,
  netmask: over.address.includes(':') ? 128 : 32, ...over,
});
export const rs = (address: string, port: number, weight = 1): RealServer => ({
  address, port, weight, forward: 'masq', upperThreshold: 0, lowerThreshold: 0,
});

/** A table covering the protocols, families, schedulers and flags the proxy uses. */
export const SAMPLE: ReadonlyArray<{ vs: VirtualServer; rs: RealServer[] }> = [
  { vs: vs({ address: '10.96.0.1', port: 443 }), rs: [rs('192.168.1.10', 6443), rs('192.168.1.11', 6443)] },
  { vs: vs({ address: '10.96.0.10', port: 53, protocol: 'udp', scheduler: 'lc' }), rs: [rs('10.244.1.5', 53), rs('10.244.2.7', 53)] },
  { vs: vs({ address: '10.96.0.20', port: 3868, protocol: 'sctp', scheduler: 'sh', flags: SvcFlags.SCHED2 }), rs: [rs('10.244.1.9', 3868)] },
  { vs: vs({ address: '10.96.0.30', port: 80, flags: SvcFlags.PERSISTENT, timeout: 10800 }), rs: [rs('10.244.1.20', 8080)] },
  { vs: vs({ address: '10.96.0.31', port: 80, flags: SvcFlags.PERSISTENT, timeout: 300, netmask: 24 }), rs: [] },
  { vs: vs({ address: 'fd00:10:96::1', port: 443 }), rs: [rs('fd00:10:244:1::5', 8443), rs('fd00:10:244:2::7', 8443)] },
  { vs: vs({ address: 'fd00:10:96::a', port: 53, protocol: 'udp', scheduler: 'mh', flags: SvcFlags.SCHED2 | SvcFlags.SCHED1 }), rs: [rs('fd00:10:244:1::9', 53)] },
  { vs: vs({ address: 'fd00:10:96::b', port: 80, flags: SvcFlags.PERSISTENT, timeout: 60 }), rs: [rs('fd00:10:244:1::20', 80, 3)] },
];

export function ipvsConformance(label: string, open: () => Promise<Ipvs>, clear: (ipvs: Ipvs) => Promise<void>): void {
  const withIpvs = (name: string, body: (ipvs: Ipvs) => Promise<void>) =>
    test(`${label}: ${name}`, async () => {
      const ipvs = await open();
      try { await body(ipvs); } finally { await clear(ipvs); ipvs.close(); }
    });

  withIpvs('virtual servers and real servers read back as written (IPv4/IPv6, TCP/UDP/SCTP, rr/lc/sh/mh, persistence)', async (ipvs) => {
    for (const e of SAMPLE) {
      await ipvs.addVirtualServer(e.vs);
      for (const r of e.rs) await ipvs.addRealServer(e.vs, r);
    }
    const listed = await ipvs.listVirtualServers();
    const key = (v: VirtualServer) => `${v.protocol} ${v.address} ${v.port}`;
    assert.deepEqual([...listed].sort((a, b) => key(a).localeCompare(key(b))), SAMPLE.map((e) => e.vs).sort((a, b) => key(a).localeCompare(key(b))));
    for (const e of SAMPLE) {
      const dests = (await ipvs.listRealServers(e.vs)).map(({ activeConnections, inactiveConnections, persistentConnections, ...r }) => {
        assert.equal(activeConnections + inactiveConnections + persistentConnections, 0);
        return r;
      });
      assert.deepEqual(dests.sort((a, b) => a.address.localeCompare(b.address)), [...e.rs].sort((a, b) => a.address.localeCompare(b.address)));
    }
  });

  withIpvs('update changes scheduler, flags and persistence in place; weight updates keep the real server', async (ipvs) => {
    const v = vs({ address: '10.96.1.1', port: 80 });
    await ipvs.addVirtualServer(v);
    await ipvs.addRealServer(v, rs('10.244.0.2', 80));
    const changed = { ...v, scheduler: 'sh', flags: SvcFlags.PERSISTENT | SvcFlags.SCHED2, timeout: 600 };
    await ipvs.updateVirtualServer(changed);
    assert.deepEqual(await ipvs.listVirtualServers(), [changed]);
    await ipvs.updateVirtualServer(v);
    assert.deepEqual(await ipvs.listVirtualServers(), [v]);
    await ipvs.updateRealServer(v, rs('10.244.0.2', 80, 0));
    const [dest] = await ipvs.listRealServers(v);
    assert.equal(dest?.weight, 0);
    await ipvs.deleteRealServer(v, rs('10.244.0.2', 80));
    assert.deepEqual(await ipvs.listRealServers(v), []);
  });

  withIpvs('errors: duplicates are EEXIST, a missing virtual server ESRCH, a missing real server ENOENT', async (ipvs) => {
    const v = vs({ address: '10.96.2.1', port: 80 });
    const missing = vs({ address: '10.96.2.2', port: 80 });
    await ipvs.addVirtualServer(v);
    await rejectsWith(ipvs.addVirtualServer(v), 'EEXIST');
    await ipvs.addRealServer(v, rs('10.244.0.3', 80));
    await rejectsWith(ipvs.addRealServer(v, rs('10.244.0.3', 80)), 'EEXIST');
    await rejectsWith(ipvs.deleteVirtualServer(missing), 'ESRCH');
    await rejectsWith(ipvs.updateVirtualServer(missing), 'ESRCH');
    await rejectsWith(ipvs.addRealServer(missing, rs('10.244.0.3', 80)), 'ESRCH');
    await rejectsWith(ipvs.deleteRealServer(v, rs('10.244.0.4', 80)), 'ENOENT');
    await rejectsWith(ipvs.updateRealServer(v, rs('10.244.0.4', 80)), 'ENOENT');
    await rejectsWith(ipvs.addVirtualServer(vs({ address: '10.96.2.3', port: 80, scheduler: 'nosuch' })), 'ENOENT');
  });

  withIpvs('an error names the operation and the object that failed', async (ipvs) => {
    await assert.rejects(ipvs.deleteVirtualServer(vs({ address: '10.96.3.1', port: 8080, protocol: 'udp' })),
      /delete virtual server UDP 10\.96\.3\.1:8080: ESRCH/);
    await assert.rejects(ipvs.deleteVirtualServer(vs({ address: 'fd00::3:1', port: 80 })), /delete virtual server TCP \[fd00::3:1\]:80: ESRCH/);
  });

  withIpvs('one virtual server is read by its key, with zero counters when new; a missing one is undefined', async (ipvs) => {
    for (const e of SAMPLE.slice(0, 6)) await ipvs.addVirtualServer(e.vs);
    for (const e of SAMPLE.slice(0, 6)) {
      const got = await ipvs.getVirtualServer(e.vs);
      assert.deepEqual(got?.vs, e.vs);
      assert.equal(got?.stats?.connections, 0);
    }
    assert.equal(await ipvs.getVirtualServer(vs({ address: '10.96.9.9', port: 80 })), undefined);
    assert.equal(await ipvs.getVirtualServer(vs({ address: 'fd00::9:9', port: 53, protocol: 'udp' })), undefined);
  });
}
