import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuSpent, meanSpent, sampleCpu, type CpuSample } from '../../../scripts/bench/cpu-account.js';

const sample = (o: Partial<CpuSample>): CpuSample => ({ guestBusyMs: 0, guestIdleMs: 0, proxyMs: 0, proxyMainMs: 0, proxyV8WorkersMs: 0, benchMs: 0, estimationMs: 0, ...o });

test('bench CPU account: the rest of the VM is its busy time less the proxy, the bench and estimation; the host part is the steal, QEMU and the rest', () => {
  const a = sample({ guestBusyMs: 1000, guestIdleMs: 500, proxyMs: 100, proxyMainMs: 80, proxyV8WorkersMs: 20, benchMs: 50, estimationMs: 10, host: { busyMs: 2000, stealMs: 30, qemuMs: 1500 } });
  const b = sample({ guestBusyMs: 1200, guestIdleMs: 520, proxyMs: 220, proxyMainMs: 120, proxyV8WorkersMs: 100, benchMs: 90, estimationMs: 20, host: { busyMs: 2250, stealMs: 70, qemuMs: 1720 } });
  assert.deepEqual(cpuSpent(a, b), { proxy: 120, proxyMain: 40, proxyV8Workers: 80, bench: 40, estimation: 10, otherGuest: 30, guestIdle: 20, hostSteal: 40, hostOther: 30, qemu: 220 });
});

test('bench CPU account: without the host\'s counters (no VM_HOST_STAT) the host parts are NaN, not zero', () => {
  const s = cpuSpent(sample({}), sample({ guestBusyMs: 10, proxyMs: 10 }));
  assert.ok(Number.isNaN(s.hostSteal) && Number.isNaN(s.qemu) && Number.isNaN(s.hostOther));
  assert.equal(s.otherGuest, 0);
});

test('bench CPU account: the mean of each part, rounded; none of no intervals', () => {
  const x = cpuSpent(sample({}), sample({ guestBusyMs: 30, proxyMs: 10, proxyMainMs: 10 }));
  const y = cpuSpent(sample({}), sample({ guestBusyMs: 60, proxyMs: 21, proxyMainMs: 21 }));
  const m = meanSpent([x, y])!;
  assert.equal(m.proxy, 16);
  assert.equal(m.otherGuest, 30);
  assert.equal(meanSpent([]), undefined);
});

test('bench CPU account: this process\'s busy loop shows as its main thread\'s CPU in /proc', () => {
  const before = sampleCpu(process.pid);
  // 200 ms of this process's own CPU, however busy the machine is: 200 ms of wall time can be far less beside a VM
  const start = process.cpuUsage();
  const end = performance.now() + 10_000;
  while (process.cpuUsage(start).user < 200_000 && performance.now() < end) { /* spin */ }
  const spent = cpuSpent(before, sampleCpu(process.pid));
  assert.ok(spent.proxyMain >= 100, `main thread ${spent.proxyMain} ms`);
  assert.ok(spent.proxy >= spent.proxyMain);
  assert.ok(spent.bench >= 100, `process.cpuUsage ${spent.bench} ms`);
});

test('bench GC trace: a Mark-Compact line gives its marking and pause as a window; scavenges and other lines are not major collections', async () => {
  const { majorGcs, inMajorGc } = await import('../../../scripts/bench/gc-trace.js');
  const gcs = majorGcs([
    '[346:0x118d3000]   503988 ms: Mark-Compact 152.2 (159.4) -> 121.1 (148.6) MB, pooled: 13 MB, 55.23 / 0.03 ms  (+ 649.3 ms in 111 steps since start of marking, biggest step 25.0 ms, walltime since start of marking 1174 ms) (average mu = 0.983, current mu = 0.9) finalize incremental marking via task; GC in old space requested',
    '[346:0x118d3000]   503000 ms: Scavenge 150.1 (159.4) -> 149.0 (159.4) MB, pooled: 0 MB, 3.1 / 0.0 ms  (average mu = 0.983, current mu = 0.9) allocation failure;',
    '[346:0x118d3000]      812 ms: Mark-Compact 12.0 (14.0) -> 10.0 (13.0) MB, 9.50 / 0.00 ms  (average mu = 1.000, current mu = 1.000) low memory notification; GC in old space requested',
    '{"msg":"synced"}',
  ]);
  assert.deepEqual(gcs, [{ fromMs: 503988 - 1174, toMs: 503988 + 55.23 }, { fromMs: 812, toMs: 821.5 }]);
  assert.equal(inMajorGc(gcs, 503000, 503100), true);
  assert.equal(inMajorGc(gcs, 502700, 502800), false);
  assert.equal(inMajorGc(gcs, 504040, 504100), true);
  assert.equal(inMajorGc(gcs, 504050, 504100), false);
});
