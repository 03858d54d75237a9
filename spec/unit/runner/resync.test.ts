// A periodic resync with its read and comparison made beside change syncs: whatever was changed
// behind the proxy's back, its turn leaves the kernel as a full sync would, and plans only what differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { Proxy } from '../../../lib/runner/proxy.js';
import { ProxyMetrics } from '../../../lib/runner/metrics.js';
import { HealthState } from '../../../lib/runner/health.js';
import { MemorySource } from '../../helpers/memory-source.js';
import { CONFIG, slice, svc } from '../../helpers/objects.js';
import { fakeKernel, memoryLogger, type FakeKernel } from '../../helpers/fake-kernel.js';
import { TEMP_SET } from '../../../lib/kernel/ipset/types.js';
import type { VirtualServer } from '../../../lib/kernel/ipvs/types.js';
import { findDiscrepancies, Slices } from '../../../lib/sync/resync-check.js';
import { observe } from '../../../lib/sync/observe.js';
import { ModelCache } from '../../../lib/model/model-cache.js';
import { readSnapshot } from '../../../lib/sources/read-objects.js';
import { NODE } from '../../helpers/objects.js';

const until = async (cond: () => boolean | Promise<boolean>, ms = 3000) => {
  const end = Date.now() + ms;
  while (!(await cond())) { if (Date.now() > end) throw new Error('timed out'); await sleep(2); }
};

const udp = [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }];
const OBJECTS = [
  svc('a'), slice('a-1', 'a', ['10.244.1.5', '10.244.1.6']),
  svc('b', { clusterIPs: ['10.96.0.20'], ports: udp }), slice('b-1', 'b', ['10.244.2.5'], { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
  svc('c', { type: 'NodePort', clusterIPs: ['10.96.0.30'], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }] }), slice('c-1', 'c', ['10.244.3.5']),
  svc('d', { clusterIPs: ['10.96.0.40'] }), slice('d-1', 'd', ['10.244.4.5']),
];
const affinity = svc('d', { clusterIPs: ['10.96.0.40'], spec: { sessionAffinity: 'ClientIP' } });

const vsAt = (address: string, port: number, protocol: 'tcp' | 'udp' = 'tcp'): VirtualServer =>
  ({ family: 4, protocol, address, port, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
const find = async (k: FakeKernel, address: string, port: number) => (await k.ipvs.listVirtualServers()).find((v) => v.address === address && v.port === port)!;
const rs = (address: string, port: number) => ({ address, port, weight: 1, forward: 'masq' as const, upperThreshold: 0, lowerThreshold: 0 });

/** Things done to the kernel behind the proxy's back. */
const TAMPERING: Record<string, (k: FakeKernel) => Promise<void>> = {
  'virtual server deleted': async (k) => k.ipvs.deleteVirtualServer(await find(k, '10.96.0.10', 80)),
  'real server deleted': async (k) => { const v = await find(k, '10.96.0.20', 53); await k.ipvs.deleteRealServer(v, (await k.ipvs.listRealServers(v))[0]!); },
  'real server added': async (k) => k.ipvs.addRealServer(await find(k, '10.96.0.40', 80), rs('10.244.9.9', 8080)),
  'scheduler changed': async (k) => k.ipvs.updateVirtualServer({ ...(await find(k, '10.96.0.40', 80)), scheduler: 'lc' }),
  'set member deleted': (k) => k.ipsets.apply([{ op: 'del', set: 'KUBE-CLUSTER-IP', members: ['10.96.0.10,tcp:80'] }]),
  'stale set member added': (k) => k.ipsets.apply([{ op: 'add', set: 'KUBE-CLUSTER-IP', members: ['10.96.0.99,tcp:80'] }]),
  'address unbound': (k) => k.links.deleteAddress('kube-ipvs0', '10.96.0.30'),
  'stray address bound': (k) => k.links.addAddress('kube-ipvs0', '10.96.0.77'),
  'stale virtual server on a bound address': (k) => k.ipvs.addVirtualServer(vsAt('10.96.0.20', 9999)),
  'rule flushed': async (k) => k.iptables.tamper(4, 'nat', 'KUBE-SERVICES', []),
  'temporary set left behind': (k) => k.ipsets.apply([{ op: 'create', set: { name: TEMP_SET, type: 'hash:ip,port', family: 4 } }]),
};

function start(kernel: FakeKernel, objects: Array<Record<string, unknown>>, minSyncPeriodMs = 0) {
  const source = new MemorySource();
  const { log, lines } = memoryLogger();
  const proxy = new Proxy({
    source, kernel, nodeName: 'node-a', primaryAddresses: [], config: CONFIG, planOptions: { excludeCidrs: [] },
    minSyncPeriodMs, syncPeriodMs: 3_600_000, log, metrics: new ProxyMetrics(), health: new HealthState(3_600_000),
  });
  return { source, proxy, lines, objects };
}
const synced = async (lines: Array<Record<string, unknown>>, from: number, reason?: string) => {
  let l: Record<string, unknown> | undefined;
  await until(() => (l = lines.slice(from).find((x) => x.msg === 'synced' && (reason === undefined || x.reason === reason))) !== undefined);
  return l!;
};
async function coldSync(kernel: FakeKernel) {
  const p = start(kernel, OBJECTS);
  await p.proxy.start();
  p.source.set(OBJECTS);
  await synced(p.lines, 0);
  return p;
}
async function kernelState(k: FakeKernel) {
  return { ipvs: k.ipvs.save(), sets: k.ipsets.save(), addresses: (await k.links.listAddresses('kube-ipvs0')).sort(), nat: await k.iptables.save(4, 'nat'), filter: await k.iptables.save(4, 'filter') };
}

test('resync: after any mix of tampering, its turn leaves the kernel as a full sync from scratch does, with as many operations; another IPVS user\'s virtual server is untouched', async () => {
  await fc.assert(fc.asyncProperty(fc.subarray(Object.keys(TAMPERING), { minLength: 1 }), async (done) => {
    const [k1, k2] = [fakeKernel(), fakeKernel()];
    const running: Proxy[] = [];
    try {
      const [p1, p2] = [await coldSync(k1), await coldSync(k2)];
      running.push(p1.proxy);
      await p2.proxy.stop();
      for (const k of [k1, k2]) {
        await k.ipvs.addVirtualServer(vsAt('192.0.2.50', 80));
        await k.ipvs.addRealServer(vsAt('192.0.2.50', 80), rs('192.0.2.60', 80));
        for (const t of done) await TAMPERING[t]!(k);
      }
      const from = p1.lines.length;
      p1.proxy.resync();
      const resync = await synced(p1.lines, from, 'periodic');
      // the reference: a proxy starting afresh on the same tampered kernel plans everything it reads
      const p3 = start(k2, OBJECTS);
      running.push(p3.proxy);
      await p3.proxy.start();
      p3.source.set(OBJECTS);
      const fresh = await synced(p3.lines, 0);
      assert.deepEqual(await kernelState(k1), await kernelState(k2), `tampering: ${done.join(', ')}`);
      assert.equal(resync.failed, 0);
      assert.equal(resync.operations, fresh.operations, `as many operations as a full sync (${done.join(', ')})`);
      assert.ok((resync.operations as number) > 0);
      assert.match(k1.ipvs.save(), /192\.0\.2\.50:80.*\n.*192\.0\.2\.60:80/, 'the foreign virtual server stays');
      // only what differs is planned at the turn, unless a leftover set makes it plan everything
      assert.equal(resync.repaired === undefined, done.includes('temporary set left behind'), JSON.stringify(resync));
    } finally {
      for (const p of running) await p.stop();
    }
  }), { numRuns: 40, endOnFailure: true });
});

test('resync: a change pending at its turn is programmed as a change from what the kernel holds (session affinity set), whether the turn plans the differing keys or everything', async () => {
  for (const whole of [false, true]) {
    const k = fakeKernel();
    const p = await coldSync(k);
    await p.proxy.stop();
    // a proxy whose changes wait for min-sync-period, so that this one is pending at the resync's turn
    const q = start(k, OBJECTS, 1000);
    await q.proxy.start();
    q.source.set(OBJECTS);
    await synced(q.lines, 0);
    await TAMPERING['real server deleted']!(k);
    if (whole) await TAMPERING['temporary set left behind']!(k);
    const from = q.lines.length;
    q.source.apply(affinity);
    q.proxy.resync();
    const resync = await synced(q.lines, from);
    await q.proxy.stop();
    assert.equal(resync.reason, 'periodic', 'the change waited and went with the resync');
    assert.equal(resync.repaired === undefined, whole);
    assert.match(k.ipvs.save(), /-A -t 10\.96\.0\.40:80 -s rr -p 10800/, `persistent after the turn (${whole ? 'everything planned' : 'keys planned'})`);
    assert.match(k.ipvs.save(), /10\.244\.2\.5:53/, 'and the tampering repaired');
  }
});

test('resync: the comparison gives the event loop back between slices and finds the same keys whatever the slice', async () => {
  const k = fakeKernel();
  const p = await coldSync(k);
  await p.proxy.stop();
  for (const t of ['real server added', 'set member deleted', 'stray address bound', 'stale virtual server on a bound address', 'rule flushed']) await TAMPERING[t]!(k);
  const cache = new ModelCache();
  cache.rebuild(readSnapshot({ services: OBJECTS.filter((o) => o.kind === 'Service'), endpointSlices: OBJECTS.filter((o) => o.kind === 'EndpointSlice') }), NODE, CONFIG);
  const read = await observe(k, CONFIG.families);
  let turns = 0;
  let spinning = true;
  const spin = () => { if (!spinning) return; turns++; setImmediate(spin); };
  setImmediate(spin);
  const sliced = await findDiscrepancies(read, cache.aggregate, [], new Slices(0));
  spinning = false;
  const inOne = await findDiscrepancies(read, cache.aggregate, [], new Slices(Infinity));
  assert.ok(turns > 10, `others ran between its slices (${turns} times)`);
  assert.deepEqual(sliced, inOne);
  assert.deepEqual([...inOne.virtualServers.keys()].sort(), ['TCP 10.96.0.20:9999', 'TCP 10.96.0.40:80'].sort());
  assert.deepEqual(inOne.members.get('KUBE-CLUSTER-IP'), new Map([['10.96.0.10,tcp:80', false]]));
  assert.deepEqual(inOne.bound, new Map([['10.96.0.77', true]]));
  assert.deepEqual([...inOne.tables], ['4/nat']);
});
