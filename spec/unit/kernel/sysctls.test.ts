import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { desiredSysctls, ensureSysctls } from '../../../lib/kernel/sysctl/sysctls.js';
import { FakeSysctls } from '../../fakes/fake-sysctls.js';
import { createLogger } from '../../../lib/log.js';

const paths = (kernelRelease: string, strictArp = false) => desiredSysctls({ kernelRelease, strictArp }).map((d) => `${d.path}=${d.value}`);

test('sysctls: conn_reuse_mode=0 only on kernels 4.1 to 5.8', () => {
  assert.ok(!paths('4.0.9').includes('net/ipv4/vs/conn_reuse_mode=0'));
  assert.ok(paths('4.1.0').includes('net/ipv4/vs/conn_reuse_mode=0'));
  assert.ok(paths('5.8.18-100-generic').includes('net/ipv4/vs/conn_reuse_mode=0'));
  assert.ok(!paths('5.9.0').includes('net/ipv4/vs/conn_reuse_mode=0'));
  assert.ok(!paths('6.1.0-56-amd64').includes('net/ipv4/vs/conn_reuse_mode=0'));
});

test('sysctls: always conntrack, expire_nodest_conn, expire_quiescent_template, ip_forward; ARP only with strict ARP', () => {
  assert.deepEqual(paths('6.1.0'), ['net/ipv4/vs/conntrack=1', 'net/ipv4/vs/expire_nodest_conn=1', 'net/ipv4/vs/expire_quiescent_template=1', 'net/ipv4/ip_forward=1']);
  assert.deepEqual(paths('6.1.0', true).slice(4), ['net/ipv4/conf/all/arp_ignore=1', 'net/ipv4/conf/all/arp_announce=2']);
});

test('sysctls: only values that differ are written, and each change is logged', async () => {
  const fake = new FakeSysctls({ 'net/ipv4/vs/conntrack': '0', 'net/ipv4/vs/expire_nodest_conn': '1', 'net/ipv4/vs/expire_quiescent_template': '0', 'net/ipv4/ip_forward': '1' });
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
  const changed = await ensureSysctls(fake, desiredSysctls({ kernelRelease: '6.1.0', strictArp: false }), log);
  assert.deepEqual(changed, ['net/ipv4/vs/conntrack', 'net/ipv4/vs/expire_quiescent_template']);
  assert.deepEqual(fake.writes, changed);
  assert.equal(lines.length, 2);
  assert.deepEqual(JSON.parse(lines[0]!).sysctl, 'net/ipv4/vs/conntrack');
  assert.equal(JSON.parse(lines[0]!).from, '0');
  assert.deepEqual(await ensureSysctls(fake, desiredSysctls({ kernelRelease: '6.1.0', strictArp: false }), log), []);
});

test('sysctls: a missing parameter (no IPVS module) is an ENOENT naming it', async () => {
  const fake = new FakeSysctls({});
  await assert.rejects(ensureSysctls(fake, desiredSysctls({ kernelRelease: '6.1.0', strictArp: false }), createLogger('fatal')),
    /read sysctl net\/ipv4\/vs\/conntrack: ENOENT/);
});

test('sysctls: conntrack settings (kube-proxy conntrack.*): nf_conntrack_max is only ever raised, timeouts are set', async () => {
  const base = { 'net/ipv4/vs/conntrack': '1', 'net/ipv4/vs/expire_nodest_conn': '1', 'net/ipv4/vs/expire_quiescent_template': '1', 'net/ipv4/ip_forward': '1',
    'net/netfilter/nf_conntrack_tcp_timeout_established': '432000', 'net/netfilter/nf_conntrack_tcp_timeout_close_wait': '60' };
  const conntrack = { max: 262144, tcpEstablishedSeconds: 86400, tcpCloseWaitSeconds: 3600 };
  const low = new FakeSysctls({ ...base, 'net/netfilter/nf_conntrack_max': '65536' });
  assert.deepEqual(await ensureSysctls(low, desiredSysctls({ kernelRelease: '6.1.0', strictArp: false, conntrack }), createLogger('fatal')),
    ['net/netfilter/nf_conntrack_max', 'net/netfilter/nf_conntrack_tcp_timeout_established', 'net/netfilter/nf_conntrack_tcp_timeout_close_wait']);
  assert.equal(low.values.get('net/netfilter/nf_conntrack_max'), '262144');
  const high = new FakeSysctls({ ...base, 'net/netfilter/nf_conntrack_max': '1048576' });
  await ensureSysctls(high, desiredSysctls({ kernelRelease: '6.1.0', strictArp: false, conntrack }), createLogger('fatal'));
  assert.equal(high.values.get('net/netfilter/nf_conntrack_max'), '1048576', 'an admin\'s larger table stays');
  assert.equal(desiredSysctls({ kernelRelease: '6.1.0', strictArp: false, conntrack: { max: 0, tcpEstablishedSeconds: 0, tcpCloseWaitSeconds: 0 } })
    .some((d) => d.path.startsWith('net/netfilter/')), false, '0 leaves them alone');
});

test('sysctls: --ipvs-run-estimation off/on sets run_estimation; keep leaves it out', () => {
  const est = (runEstimation: 'keep' | 'on' | 'off') => desiredSysctls({ kernelRelease: '6.1.0', strictArp: false, runEstimation }).filter((d) => d.path === 'net/ipv4/vs/run_estimation').map((d) => d.value);
  assert.deepEqual(est('off'), ['0']);
  assert.deepEqual(est('on'), ['1']);
  assert.deepEqual(est('keep'), []);
  assert.deepEqual(paths('6.1.0').filter((p) => p.includes('run_estimation')), [], 'not set by default');
});

test('sysctls: a kernel without run_estimation (before 5.16) gets a warning, and the other parameters are still set', async () => {
  const fake = new FakeSysctls({ 'net/ipv4/vs/conntrack': '0', 'net/ipv4/vs/expire_nodest_conn': '1', 'net/ipv4/vs/expire_quiescent_template': '1', 'net/ipv4/ip_forward': '1', 'net/netfilter/nf_conntrack_max': '65536' });
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
  const changed = await ensureSysctls(fake, desiredSysctls({ kernelRelease: '5.10.0', strictArp: false, runEstimation: 'off', conntrack: { max: 262144, tcpEstablishedSeconds: 0, tcpCloseWaitSeconds: 0 } }), log);
  assert.deepEqual(changed, ['net/ipv4/vs/conntrack', 'net/netfilter/nf_conntrack_max']);
  const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.sysctl === 'net/ipv4/vs/run_estimation');
  assert.equal(warning?.level, 40);
  assert.match(String(warning?.msg), /not available/);
});

test('sysctls: run_estimation already as wanted is not written', async () => {
  const fake = new FakeSysctls({ 'net/ipv4/vs/conntrack': '1', 'net/ipv4/vs/expire_nodest_conn': '1', 'net/ipv4/vs/expire_quiescent_template': '1', 'net/ipv4/ip_forward': '1', 'net/ipv4/vs/run_estimation': '1' });
  assert.deepEqual(await ensureSysctls(fake, desiredSysctls({ kernelRelease: '6.1.0', strictArp: false, runEstimation: 'off' }), createLogger('fatal')), ['net/ipv4/vs/run_estimation']);
  assert.equal(fake.values.get('net/ipv4/vs/run_estimation'), '0');
  assert.deepEqual(await ensureSysctls(fake, desiredSysctls({ kernelRelease: '6.1.0', strictArp: false, runEstimation: 'off' }), createLogger('fatal')), []);
});
