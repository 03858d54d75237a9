import { test } from 'node:test';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { FakeIpvs } from '../../fakes/fake-ipvs.js';
import { ProcIpVsParser, parseProcIpVs, readProcIpVs } from '../../../lib/kernel/ipvs/proc-ip-vs.js';
import { ipvsConformance, rs, vs, SAMPLE } from '../../helpers/ipvs-conformance.js';
import { SvcFlags } from '../../../lib/kernel/ipvs/types.js';
import { tempDir } from '../../helpers/temp-dir.js';

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

const PROC_TEXT = [
  'IP Virtual Server version 1.2.1 (size=4096)',
  'Prot LocalAddress:Port Scheduler Flags',
  '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn',
  'TCP  0A600001:01BB rr ',
  '  -> C0A8010A:192B      Masq    1      3          7         ',
  '  -> C0A8010B:192B      Masq    0      0          1         ',
  'UDP  0A60000A:0035 lc persistent 300 FFFFFFFF',
  'TCP  [fd00:0010:0096:0000:0000:0000:0000:0001]:01BB rr ',
  '  -> [fd00:0010:0244:0001:0000:0000:0000:0005]:20FB      Masq    2      0          0         ',
  'FWM  00000001 rr ',
  '  -> 0A000001:0000      Route   1      0          0         ',
  '',
].join('\n');

test('/proc/net/ip_vs text in pieces: split at any point (inside a line too), it reads as the whole text', () => {
  const whole = parseProcIpVs(PROC_TEXT);
  for (let at = 0; at <= PROC_TEXT.length; at++) {
    const p = new ProcIpVsParser();
    p.push(PROC_TEXT.slice(0, at));
    p.push(PROC_TEXT.slice(at));
    assert.deepEqual(p.end(), whole, `split at ${at}`);
  }
  // the last line without its newline still counts
  assert.deepEqual(parseProcIpVs(PROC_TEXT.trimEnd()), whole);
});

test('/proc/net/ip_vs read through cat in pipe-sized pieces: 20,000 virtual servers read as one parse of the whole text; a missing file is an error naming it; without cat Node reads the file itself', async () => {
  const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
  const lines = ['IP Virtual Server version 1.2.1 (size=4096)', 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn'];
  for (let i = 0; i < 20_000; i++) {
    lines.push(`TCP  ${hex(0x0a600000 + i, 8)}:0050 rr `);
    for (let j = 0; j < 3; j++) lines.push(`  -> ${hex(0x0a800000 + i * 4 + j, 8)}:1F90      Masq    1      ${j}          ${i % 7}         `);
  }
  const text = `${lines.join('\n')}\n`;
  assert.ok(text.length > 20 * 64 * 1024);
  const dir = tempDir('proc-ip-vs-');
  try {
    writeFileSync(join(dir, 'ip_vs'), text);
    const read = await readProcIpVs(join(dir, 'ip_vs'));
    assert.equal(read.size, 20_000);
    assert.deepEqual(read, parseProcIpVs(text));
    assert.deepEqual(read.get('TCP 10.96.78.30:80')!.map((r) => [r.address, r.port, r.activeConnections, r.inactiveConnections]),
      [['10.129.56.120', 8080, 0, 6], ['10.129.56.121', 8080, 1, 6], ['10.129.56.122', 8080, 2, 6]]);
    await assert.rejects(readProcIpVs(join(dir, 'missing')), /reading .*missing failed: .*No such file/);
    // without cat, Node reads the file itself
    assert.deepEqual(await readProcIpVs(join(dir, 'ip_vs'), 'no-such-cat'), read);
    await assert.rejects(readProcIpVs(join(dir, 'missing'), 'no-such-cat'), /reading .*missing failed: .*no such file/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('/proc/net/ip_vs text: every real server with weight and counters, IPv4 and IPv6, by virtual server', () => {
  const text = PROC_TEXT;
  const all = parseProcIpVs(text);
  assert.deepEqual([...all.keys()], ['TCP 10.96.0.1:443', 'UDP 10.96.0.10:53', 'TCP [fd00:10:96::1]:443']);
  assert.deepEqual(all.get('TCP 10.96.0.1:443')!.map((r) => [r.address, r.port, r.weight, r.activeConnections, r.inactiveConnections, r.forward]),
    [['192.168.1.10', 6443, 1, 3, 7, 'masq'], ['192.168.1.11', 6443, 0, 0, 1, 'masq']]);
  assert.deepEqual([...all.get('UDP 10.96.0.10:53')!], []);
  assert.deepEqual(all.get('TCP [fd00:10:96::1]:443')!.map((r) => [r.address, r.port, r.weight]), [['fd00:10:244:1::5', 8443, 2]]);
});
