// The netlink IPVS adapter against the real kernel (VM only): the shared behaviour suite,
// ipvsadm -Sn as the oracle, real connection counters, and volume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { NetlinkIpvs } from '../../lib/kernel/ipvs/netlink-ipvs.js';
import { formatIpvsadmSave } from '../../lib/kernel/ipvs/ipvsadm-format.js';
import { NetlinkChannel } from '../../lib/kernel/netlink/channel.js';
import { NETLINK_GENERIC, resolveFamilyLoading } from '../../lib/kernel/netlink/genl.js';
import { vsKey, type Ipvs, type RealServerStatus } from '../../lib/kernel/ipvs/types.js';
import { ipvsConformance, rs, vs, SAMPLE } from '../helpers/ipvs-conformance.js';
import { exec, run } from '../helpers/exec.js';
import { withNetns } from '../helpers/netns.js';

async function clearAll(ipvs: Ipvs): Promise<void> {
  for (const v of await ipvs.listVirtualServers()) await ipvs.deleteVirtualServer(v);
}

ipvsConformance('netlink IPVS (VM)', () => NetlinkIpvs.open(), clearAll);

test('netlink IPVS (VM): what it programs is what ipvsadm -Sn shows, line for line', async () => {
  const ipvs = await NetlinkIpvs.open();
  try {
    for (const e of SAMPLE) {
      await ipvs.addVirtualServer(e.vs);
      for (const r of e.rs) await ipvs.addRealServer(e.vs, r);
    }
    const sorted = (text: string) => text.trim().split('\n').sort();
    const oracle = await run('ipvsadm', '-Sn');
    assert.deepEqual(sorted(oracle), sorted(formatIpvsadmSave(SAMPLE.map((e) => ({ vs: e.vs, realServers: e.rs })))));
    // And the other way: what ipvsadm creates, the adapter reads.
    await run('ipvsadm', '-A', '-u', '10.96.9.9:5353', '-s', 'wlc', '-p', '120');
    await run('ipvsadm', '-a', '-u', '10.96.9.9:5353', '-r', '10.244.9.9:53', '-m', '-w', '7');
    const read = (await ipvs.listVirtualServers()).find((v) => v.address === '10.96.9.9');
    assert.deepEqual(read, vs({ address: '10.96.9.9', port: 5353, protocol: 'udp', scheduler: 'wlc', flags: 1, timeout: 120 }));
    assert.deepEqual((await ipvs.listRealServers(read!)).map((d) => [d.address, d.port, d.weight, d.forward]), [['10.244.9.9', 53, 7, 'masq']]);
  } finally {
    await clearAll(ipvs);
    ipvs.close();
  }
});

test('netlink IPVS (VM): active connection counters of a real server follow a real TCP connection', async () => {
  const ipvs = await NetlinkIpvs.open();
  await run('ip', 'link', 'add', 'kube-ipvs0', 'type', 'dummy');
  try {
    await withNetns('be', async (ns) => {
      await run('ip', 'link', 'add', 'veth-be', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await run('ip', 'addr', 'add', '10.200.0.1/24', 'dev', 'veth-be');
      await run('ip', 'link', 'set', 'veth-be', 'up');
      await run('ip', '-n', ns, 'addr', 'add', '10.200.0.2/24', 'dev', 'eth0');
      await run('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
      await run('ip', '-n', ns, 'route', 'add', 'default', 'via', '10.200.0.1');
      await run('ip', 'addr', 'add', '10.96.5.5/32', 'dev', 'kube-ipvs0');
      const server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e',
        'require("net").createServer((s) => s.on("data", (d) => s.write(d))).listen(8080, () => console.log("listening"))']);
      try {
        await new Promise<void>((resolve, reject) => {
          server.stdout.once('data', () => resolve());
          server.once('exit', (c) => reject(new Error(`backend exited ${c}`)));
        });
        const v = vs({ address: '10.96.5.5', port: 80 });
        await ipvs.addVirtualServer(v);
        await ipvs.addRealServer(v, rs('10.200.0.2', 8080));
        const sock: Socket = connect({ host: '10.96.5.5', port: 80, localAddress: '10.200.0.1' });
        const echo = await new Promise<string>((resolve, reject) => {
          sock.once('error', reject);
          sock.once('connect', () => sock.write('ping'));
          sock.once('data', (d) => resolve(d.toString()));
        });
        assert.equal(echo, 'ping');
        const [open] = await ipvs.listRealServers(v);
        assert.equal(open?.activeConnections, 1);
        sock.destroy();
        await new Promise((r) => setTimeout(r, 300));
        const [closed] = await ipvs.listRealServers(v);
        assert.equal(closed?.activeConnections, 0);
        assert.ok((closed?.inactiveConnections ?? 0) >= 1, 'a closed connection lingers as inactive');
      } finally {
        server.kill();
      }
    });
  } finally {
    await clearAll(ipvs);
    ipvs.close();
    await exec('ip', ['link', 'del', 'kube-ipvs0']);
    await exec('ip', ['link', 'del', 'veth-be']);
  }
});

test('netlink IPVS (VM): 20,000 operations issued at once complete without overflowing the socket', async (t) => {
  const ipvs = await NetlinkIpvs.open();
  try {
    const n = 10_000;
    const servers = Array.from({ length: n }, (_, i) => vs({ address: `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, port: 80 }));
    const start = performance.now();
    await Promise.all(servers.map(async (v, i) => {
      await ipvs.addVirtualServer(v);
      await ipvs.addRealServer(v, rs(`10.244.${(i >> 8) & 255}.${i & 255}`, 8080));
    }));
    const addMs = performance.now() - start;
    const t1 = performance.now();
    const listed = await ipvs.listVirtualServers();
    const listMs = performance.now() - t1;
    assert.equal(listed.length, n);
    t.diagnostic(`added ${n} virtual servers with one real server each in ${Math.round(addMs)} ms; listed them in one dump in ${Math.round(listMs)} ms`);
    const t2 = performance.now();
    await Promise.all(servers.map((v) => ipvs.deleteVirtualServer(v)));
    t.diagnostic(`deleted them in ${Math.round(performance.now() - t2)} ms`);
    assert.deepEqual(await ipvs.listVirtualServers(), []);
  } finally {
    await clearAll(ipvs);
    ipvs.close();
  }
});

test('netlink IPVS (VM): a missing generic netlink family is a clear error naming the module', async () => {
  const channel = new NetlinkChannel(NETLINK_GENERIC);
  try {
    await assert.rejects(resolveFamilyLoading(channel, 'NOSUCHFAMILY', 'ip_vs_nosuch'),
      /resolve generic netlink family NOSUCHFAMILY: ENOENT \(the ip_vs_nosuch kernel module is missing or cannot be loaded; modprobe ip_vs_nosuch failed/);
  } finally {
    channel.close();
  }
});

test('netlink IPVS (VM): one read of /proc/net/ip_vs gives the same real servers and counters as a netlink dump per virtual server', async () => {
  const ipvs = await NetlinkIpvs.open();
  try {
    for (const e of SAMPLE) {
      await ipvs.addVirtualServer(e.vs);
      for (const r of e.rs) await ipvs.addRealServer(e.vs, r);
    }
    const all = await ipvs.listAllRealServers();
    for (const v of await ipvs.listVirtualServers()) {
      const strip = (rs: Iterable<RealServerStatus>) => [...rs].map((r) => ({ ...r, persistentConnections: 0 })).sort((a, b) => a.address.localeCompare(b.address));
      assert.deepEqual(strip(all.get(vsKey(v)) ?? []), strip(await ipvs.listRealServers(v)), vsKey(v));
    }
    assert.equal(all.size, SAMPLE.length);
  } finally {
    await clearAll(ipvs);
    ipvs.close();
  }
});

test('netlink IPVS (VM): requests made in one tick go out together and each gets its own answer: of 64 adds, exactly those that already exist fail with EEXIST, first, middle and last alike', async () => {
  const ipvs = await NetlinkIpvs.open();
  try {
    const servers = Array.from({ length: 64 }, (_, i) => vs({ address: `10.120.0.${i + 1}`, port: 80 }));
    for (const i of [0, 10, 50, 63]) await ipvs.addVirtualServer(servers[i]!);
    const results = await Promise.allSettled(servers.map((v) => ipvs.addVirtualServer(v)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [[i, (r.reason as { code?: string }).code]] : []));
    assert.deepEqual(failed, [[0, 'EEXIST'], [10, 'EEXIST'], [50, 'EEXIST'], [63, 'EEXIST']]);
    assert.equal((await ipvs.listVirtualServers()).length, 64);
  } finally {
    await clearAll(ipvs);
    ipvs.close();
  }
});
