// The plan and its application, against the fake kernel: order, idempotence, draining, ownership,
// and what happens when an operation fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDesiredState } from '../../../lib/model/build.js';
import type { NodeFacts } from '../../../lib/model/node.js';
import { planSync, type PlanOptions } from '../../../lib/plan/plan.js';
import { operationCount, type Operation } from '../../../lib/plan/operations.js';
import { observe } from '../../../lib/sync/observe.js';
import { SyncMemory, syncChanges, syncOnce } from '../../../lib/sync/sync-once.js';
import { FakeConntrack } from '../../fakes/fake-conntrack.js';
import { ModelCache } from '../../../lib/model/model-cache.js';
import { applyPlan } from '../../../lib/sync/apply.js';
import { formatIpvsadmSave } from '../../../lib/kernel/ipvs/ipvsadm-format.js';
import { formatIpsetSave } from '../../../lib/kernel/ipset/save-format.js';
import { KernelError } from '../../../lib/kernel/errors.js';
import { CONFIG, slice, svc } from '../../helpers/objects.js';
import { fakeKernel, memoryLogger, type FakeKernel } from '../../helpers/fake-kernel.js';
import { rs, vs } from '../../helpers/ipvs-conformance.js';
import { ObjectReader, readSnapshot, type RawObjects } from '../../../lib/sources/read-objects.js';
import { restoreText } from '../../../lib/kernel/ipset/restore-text.js';

type Obj = Record<string, unknown>;
const OPTS: PlanOptions = { excludeCidrs: [] };

async function desiredFor(k: FakeKernel, objects: Obj[]) {
  const node: NodeFacts = { name: 'node-a', labels: {}, addresses: await k.links.listLocalAddresses(), primaryAddresses: [] };
  return buildDesiredState(readSnapshot({ services: objects.filter((o) => o.kind === 'Service'), endpointSlices: objects.filter((o) => o.kind === 'EndpointSlice') }), node, CONFIG);
}
async function plan(k: FakeKernel, objects: Obj[], opts = OPTS) {
  return planSync(await desiredFor(k, objects), await observe(k, CONFIG.families), opts);
}
async function sync(k: FakeKernel, objects: Obj[], opts = OPTS) {
  const { log } = memoryLogger();
  return syncOnce(k, await desiredFor(k, objects), opts, log);
}
const kinds = (ops: readonly Operation[]) => ops.map((o) => o.kind);
const WEB = [svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), slice('web-1', 'web', ['10.244.1.5', '10.244.2.6'])];
const DNS = [svc('dns', { clusterIPs: ['10.96.0.53'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }), slice('dns-1', 'dns', ['10.244.1.7', '10.244.2.8'], { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })];

test('plan from an empty kernel: link, set additions, virtual servers, binds, iptables; nothing removed', async () => {
  const ops = await plan(fakeKernel(), WEB);
  const order = [...new Set(kinds(ops))];
  assert.deepEqual(order, ['ensure-link', 'ipset-restore', 'add-virtual-server', 'add-real-servers', 'bind-address', 'iptables-restore']);
  assert.equal(ops.filter((o) => o.kind === 'iptables-restore').length, 4, 'nat and filter, IPv4 and IPv6');
  // every real server comes after its virtual server; a new virtual server's real servers are one list
  const firstRs = kinds(ops).indexOf('add-real-servers');
  assert.ok(kinds(ops).lastIndexOf('add-virtual-server') < firstRs);
  const lists = ops.flatMap((o) => (o.kind === 'add-real-servers' ? [o] : []));
  assert.equal(lists.length, ops.filter((o) => o.kind === 'add-virtual-server').length, 'one list per virtual server');
  for (const l of lists) assert.deepEqual(l.realServers.map((r) => r.address), ['10.244.1.5', '10.244.2.6']);
  assert.equal(operationCount(ops), ops.length + lists.length, 'each list counts as its two real servers');
});

test('apply then plan again: nothing to do; the kernel holds exactly the desired state', async () => {
  const k = fakeKernel();
  const first = await sync(k, WEB);
  assert.equal(first.result.failed.length, 0);
  assert.deepEqual(await plan(k, WEB), []);
  const desired = await desiredFor(k, WEB);
  assert.equal(k.ipvs.save(), formatIpvsadmSave(desired.virtualServers));
  assert.equal(formatIpsetSave((await k.ipsets.list()).values()), formatIpsetSave(desired.sets));
  assert.deepEqual(await k.links.listAddresses('kube-ipvs0'), ['10.96.0.10']);
});

test('an endpoint removed (TCP, no connections): one delete-real-server, nothing else', async () => {
  const k = fakeKernel();
  await sync(k, WEB);
  const ops = await plan(k, [WEB[0]!, slice('web-1', 'web', ['10.244.1.5'])]);
  assert.deepEqual(ops.map((o) => `${o.kind} ${'rs' in o ? o.rs.address : ''}`), [
    'delete-real-server 10.244.2.6', 'delete-real-server 10.244.2.6', 'delete-real-server 10.244.2.6']); // ClusterIP and two NodePort VSes
});

test('an endpoint removed with open TCP connections drains at weight 0, then is deleted once idle', async () => {
  const k = fakeKernel();
  const objs = [svc('web'), slice('web-1', 'web', ['10.244.1.5', '10.244.2.6'])];
  await sync(k, objs);
  const vip = vs({ address: '10.96.0.10', port: 80 });
  k.ipvs.setConnections(vip, rs('10.244.2.6', 8080), 3, 1);
  const less = [svc('web'), slice('web-1', 'web', ['10.244.1.5'])];
  const ops = await plan(k, less);
  assert.deepEqual(ops.map((o) => o.kind === 'update-real-server' ? `${o.rs.address} w${o.rs.weight} ${o.reason}` : o.kind), ['10.244.2.6 w0 draining']);
  await sync(k, less);
  assert.deepEqual(await plan(k, less), [], 'still draining: no new operation');
  k.ipvs.setConnections(vip, rs('10.244.2.6', 8080), 0, 0);
  assert.deepEqual(kinds(await plan(k, less)), ['delete-real-server']);
});

test('an endpoint that comes back while draining is restored to weight 1, not re-added', async () => {
  const k = fakeKernel();
  const objs = [svc('web'), slice('web-1', 'web', ['10.244.1.5', '10.244.2.6'])];
  await sync(k, objs);
  k.ipvs.setConnections(vs({ address: '10.96.0.10', port: 80 }), rs('10.244.2.6', 8080), 1, 0);
  await sync(k, [svc('web'), slice('web-1', 'web', ['10.244.1.5'])]);
  const ops = await plan(k, objs);
  assert.deepEqual(ops.map((o) => o.kind === 'update-real-server' ? `${o.rs.address} w${o.rs.weight} ${o.reason}` : o.kind), ['10.244.2.6 w1 ready again']);
});

test('a UDP endpoint removed is deleted at once even with connections (#71514)', async () => {
  const k = fakeKernel();
  await sync(k, DNS);
  k.ipvs.setConnections(vs({ address: '10.96.0.53', port: 53, protocol: 'udp' }), rs('10.244.2.8', 53), 0, 5);
  const ops = await plan(k, [DNS[0]!, slice('dns-1', 'dns', ['10.244.1.7'], { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })]);
  assert.deepEqual(kinds(ops), ['delete-real-server', 'delete-conntrack']);
  assert.deepEqual((ops[1] as { filter: unknown }).filter, { protocol: 'udp', vip: '10.96.0.53', vport: 53, realServer: '10.244.2.8' }, 'its flows are dropped too');
});

test('a weight left at 0 by an earlier run is set back to 1 when the endpoint is ready (#92019)', async () => {
  const k = fakeKernel();
  await sync(k, DNS);
  await k.ipvs.updateRealServer(vs({ address: '10.96.0.53', port: 53, protocol: 'udp' }), rs('10.244.1.7', 53, 0));
  const ops = await plan(k, DNS);
  assert.deepEqual(ops.map((o) => o.kind === 'update-real-server' ? `${o.rs.address} w${o.rs.weight}` : o.kind), ['10.244.1.7 w1']);
});

test('a changed scheduler updates the virtual server in place (no delete and re-add)', async () => {
  const k = fakeKernel();
  await sync(k, DNS);
  const ops = await plan(k, [svc('dns', { clusterIPs: ['10.96.0.53'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }], annotations: { 'ipvs-proxy.io/scheduler': 'lc' } }), DNS[1]!]);
  assert.deepEqual(ops.map((o) => o.kind === 'update-virtual-server' ? `${o.kind} ${o.vs.scheduler}` : o.kind), ['update-virtual-server lc']);
});

test('a deleted Service: removals come last: unbind, delete virtual servers, then set removals', async () => {
  const k = fakeKernel();
  await sync(k, [...WEB, ...DNS]);
  const ops = await plan(k, DNS);
  assert.deepEqual(kinds(ops), ['unbind-address', 'delete-virtual-server', 'delete-virtual-server', 'delete-virtual-server', 'ipset-restore']);
  const last = ops.at(-1)!;
  const script = last.kind === 'ipset-restore' ? restoreText(last.changes) : '';
  assert.match(script, /^del KUBE-CLUSTER-IP 10.96.0.10,tcp:80 -exist$/m);
  assert.match(script, /^del KUBE-NODE-PORT-TCP 30080 -exist$/m);
  await sync(k, DNS);
  assert.deepEqual(await plan(k, DNS), []);
  assert.doesNotMatch(k.ipvs.save(), /10\.96\.0\.10|30080/);
});

test('foreign virtual servers survive a sync; excluded CIDRs are never deleted even when the sets record them', async () => {
  const k = fakeKernel();
  const keepalived = vs({ address: '192.0.2.10', port: 80 });
  await k.ipvs.addVirtualServer(keepalived);
  await k.ipvs.addRealServer(keepalived, rs('192.0.2.20', 80));
  await sync(k, WEB);
  const ops = await plan(k, []);
  assert.ok(!ops.some((o) => o.kind === 'delete-virtual-server' && o.vs.address === '192.0.2.10'));
  assert.equal(ops.filter((o) => o.kind === 'delete-virtual-server').length, 3);
  const excluded = await plan(k, [], { excludeCidrs: ['10.96.0.0/24', '192.168.1.0/24'] });
  assert.deepEqual(excluded.filter((o) => o.kind === 'delete-virtual-server').map((o) => (o as { vs: { address: string } }).vs.address), ['172.16.0.10']);
  await sync(k, []);
  assert.match(k.ipvs.save(), /^-A -t 192\.0\.2\.10:80 -s rr$/m);
});

test('an interrupted sync (stopped after the iptables write) is finished by the next one', async () => {
  const k = fakeKernel();
  await sync(k, [...WEB, ...DNS]);
  const ops = await plan(k, DNS);
  const { log } = memoryLogger();
  // the process dies before any removal
  await applyPlan(ops.filter((o) => o.kind !== 'delete-virtual-server' && o.kind !== 'ipset-restore' && o.kind !== 'unbind-address'), k, log);
  const next = await plan(k, DNS);
  assert.equal(next.filter((o) => o.kind === 'delete-virtual-server').length, 3, 'the NodePort virtual servers are still attributable through the sets');
});

test('a hand-flushed chain is rewritten: one iptables-restore for that table only', async () => {
  const k = fakeKernel();
  await sync(k, WEB);
  k.iptables.tamper(4, 'nat', 'KUBE-SERVICES', []);
  const ops = await plan(k, WEB);
  assert.deepEqual(ops.map((o) => (o.kind === 'iptables-restore' ? `${o.kind} ${o.family} ${o.write.table}` : o.kind)), ['iptables-restore 4 nat']);
  await sync(k, WEB);
  assert.deepEqual(await plan(k, WEB), []);
});

test('a failed virtual server does not stop the others; the next sync retries it', async () => {
  const k = fakeKernel();
  const add = k.ipvs.addVirtualServer.bind(k.ipvs);
  let fail = true;
  k.ipvs.addVirtualServer = async (v) => { if (fail && v.address === '10.96.0.53') throw new KernelError('ENOMEM', 'add virtual server', v.address); return add(v); };
  const out = await sync(k, [...WEB, ...DNS]);
  assert.deepEqual(out.result.failed.map((f) => f.op.kind), ['add-virtual-server', 'add-real-server', 'add-real-server']);
  assert.match(k.ipvs.save(), /10\.96\.0\.10:80/);
  fail = false;
  const again = await sync(k, [...WEB, ...DNS]);
  assert.equal(again.result.failed.length, 0);
  assert.deepEqual(await plan(k, [...WEB, ...DNS]), []);
});

test('a failed iptables write stops the sync before any removal', async () => {
  const k = fakeKernel();
  await sync(k, [...WEB, ...DNS]);
  k.iptables.tamper(4, 'filter', 'KUBE-FORWARD', ['-j DROP']);
  k.iptables.write = async () => { throw new KernelError('IPTABLES', 'iptables-restore', 'filter', 'line 3 failed'); };
  const { log, lines } = memoryLogger();
  const out = await syncOnce(k, await desiredFor(k, DNS), OPTS, log);
  assert.equal(out.result.failed[0]!.op.kind, 'iptables-restore');
  assert.ok(out.result.skipped >= 4, 'unbind, deletes and set removals skipped');
  assert.match(k.ipvs.save(), /10\.96\.0\.10:80/, 'the deleted Service is still programmed');
  assert.ok(lines.some((l) => l.msg === 'stopping this sync: later operations depend on the failed one'));
});

test('failed operations are logged with the Service they belong to', async () => {
  const k = fakeKernel();
  k.ipvs.addRealServer = async () => { throw new KernelError('ENOMEM', 'add real server', 'x'); };
  const { log, lines } = memoryLogger();
  await syncOnce(k, await desiredFor(k, DNS), OPTS, log);
  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 2);
  assert.ok(errors.every((l) => l.service === 'default/dns'));
});

/** The proxy's way of syncing: the incremental model; a sync of changes after a successful sync, else a full one. */
async function incremental(k: FakeKernel) {
  const model = new ModelCache();
  const memory = new SyncMemory();
  const { log } = memoryLogger();
  const node: NodeFacts = { name: 'node-a', labels: {}, addresses: await k.links.listLocalAddresses(), primaryAddresses: [] };
  // each object read once, as a source does: an object passed again is the same one to the model
  const reader = new ObjectReader();
  const seen = new Map<unknown, object>();
  const once = <T extends object>(o: unknown, f: (o: unknown) => T): T => { let r = seen.get(o); if (!r) seen.set(o, (r = f(o))); return r as T; };
  const read = (raw: RawObjects) => ({ services: raw.services.map((o) => once(o, (x) => reader.service(x))), endpointSlices: raw.endpointSlices.map((o) => once(o, (x) => reader.endpointSlice(x))) });
  return {
    model, memory,
    async sync(objects: Obj[]) {
      model.build(read({ services: objects.filter((o) => o.kind === 'Service'), endpointSlices: objects.filter((o) => o.kind === 'EndpointSlice') }), node, CONFIG);
      const changes = model.takeChanges();
      return changes && memory.valid ? syncChanges(k, model.aggregate, changes, OPTS, log, memory) : syncOnce(k, model.aggregate.state(), OPTS, log, memory);
    },
  };
}

test('with the memory of a successful sync, a sync of changes reads neither ipset save, iptables-save nor the addresses; forgetting it (full resync) finds tampering', async () => {
  const k = fakeKernel();
  const reads = { ipset: 0, iptables: 0, addresses: 0 };
  const list = k.ipsets.list.bind(k.ipsets);
  const save = k.iptables.save.bind(k.iptables);
  const addresses = k.links.listAddresses.bind(k.links);
  k.ipsets.list = async () => { reads.ipset++; return list(); };
  k.iptables.save = async (f, t) => { reads.iptables++; return save(f, t); };
  k.links.listAddresses = async (l) => { reads.addresses++; return addresses(l); };
  const p = await incremental(k);
  await p.sync(WEB);
  assert.deepEqual(reads, { ipset: 1, iptables: 4, addresses: 1 });
  const more = await p.sync([WEB[0]!, slice('web-1', 'web', ['10.244.1.5', '10.244.2.6', '10.244.3.7'])]);
  assert.deepEqual(reads, { ipset: 1, iptables: 4, addresses: 1 }, 'nothing read again');
  assert.deepEqual([...new Set(kinds(more.operations))], ['add-real-server']);
  k.iptables.tamper(4, 'nat', 'KUBE-SERVICES', []);
  assert.equal((await p.sync(WEB.slice(0, 1))).operations.some((o) => o.kind === 'iptables-restore'), false, 'unseen until a full resync');
  p.memory.forget();
  const full = await p.sync(WEB.slice(0, 1));
  assert.deepEqual(full.operations.filter((o) => o.kind === 'iptables-restore').map((o) => (o.kind === 'iptables-restore' ? `${o.family} ${o.write.table}` : '')), ['4 nat']);
});

/** A synced Service web with two endpoints, a fake clock and a 60 s graceful termination timeout. */
async function drainSetup() {
  const k = fakeKernel();
  const clock = { t: 1_000_000 };
  const memory = new SyncMemory(60_000, () => clock.t);
  const { log } = memoryLogger();
  const vip = vs({ address: '10.96.0.10', port: 80 });
  const run = async (objs: Obj[]) => syncOnce(k, await desiredFor(k, objs), OPTS, log, memory);
  await run([svc('web'), slice('web-1', 'web', ['10.244.1.5', '10.244.2.6'])]);
  return { k, clock, vip, run };
}

test('graceful termination: a listed terminating TCP endpoint drains at weight 0, is deleted when idle, or at once when it leaves its slice', async () => {
  const { k, clock, vip, run } = await drainSetup();
  k.ipvs.setConnections(vip, rs('10.244.2.6', 8080), 2, 0);
  const terminating = [svc('web'), slice('web-1', 'web', ['10.244.1.5', { ip: '10.244.2.6', ready: false, serving: true, terminating: true }])];
  const t1 = await run(terminating);
  assert.deepEqual(t1.operations.map((o) => o.kind === 'update-real-server' ? `${o.rs.address} w${o.rs.weight} ${o.reason}` : o.kind), ['10.244.2.6 w0 terminating']);
  clock.t += 10 * 60_000; // far past the timeout: a listed terminating endpoint has none
  assert.deepEqual((await run(terminating)).operations, []);
  // the pod is gone from the slice while connections are still open: deleted at once
  const gone = await run([svc('web'), slice('web-1', 'web', ['10.244.1.5'])]);
  assert.deepEqual(gone.operations.map((o) => o.kind === 'delete-real-server' ? `${o.rs.address} ${o.reason}` : o.kind), ['10.244.2.6 pod gone']);
});

test('graceful termination: an endpoint that vanishes without a terminating phase drains until idle or until the timeout', async () => {
  const { k, clock, vip, run } = await drainSetup();
  k.ipvs.setConnections(vip, rs('10.244.2.6', 8080), 1, 3);
  const less = [svc('web'), slice('web-1', 'web', ['10.244.1.5'])];
  assert.deepEqual((await run(less)).operations.map((o) => o.kind === 'update-real-server' ? o.reason : o.kind), ['draining']);
  clock.t += 59_000;
  assert.deepEqual((await run(less)).operations, [], 'within the timeout: still draining');
  clock.t += 2_000;
  const late = await run(less);
  assert.deepEqual(late.operations.map((o) => o.kind === 'delete-real-server' ? o.reason : o.kind), ['graceful termination timeout']);
  assert.doesNotMatch(k.ipvs.save(), /10\.244\.2\.6/);
});

test('a UDP virtual server that gets its first real server drops the flows created while it had none (#105192), and conntrack entries go through the adapter', async () => {
  const k = fakeKernel();
  const ct = new FakeConntrack();
  const kernel = { ...k, conntrack: ct };
  const { log } = memoryLogger();
  await syncOnce(kernel, await desiredFor(k, [DNS[0]!]), OPTS, log);
  ct.flows = [{ protocol: 'udp', vip: '10.96.0.53', vport: 53, realServer: '10.96.0.53' }, { protocol: 'udp', vip: '10.96.0.99', vport: 53, realServer: 'x' }];
  const out = await syncOnce(kernel, await desiredFor(k, DNS), OPTS, log);
  assert.deepEqual(kinds(out.operations), ['add-real-server', 'add-real-server', 'delete-conntrack']);
  assert.deepEqual(ct.flows.map((f) => f.vip), ['10.96.0.99'], 'only the flows of that virtual server');
});

test('with the incremental model and sync memory, a change reads back and plans only the changed Service\'s virtual servers', async () => {
  const k = fakeKernel();
  const p = await incremental(k);
  const objs: Obj[] = [];
  for (let i = 0; i < 50; i++) objs.push(svc(`s${i}`, { clusterIPs: [`10.96.1.${i}`] }), slice(`s${i}-1`, `s${i}`, [`10.244.1.${i}`]));
  await p.sync(objs);
  const changed = [...objs];
  changed[7] = slice('s3-1', 's3', ['10.244.1.3', '10.244.9.9']); // Service s3 gains an endpoint
  k.ipvs.calls.length = 0;
  const out = await p.sync(changed);
  assert.equal(p.model.recomputed, 1);
  assert.deepEqual(k.ipvs.calls, ['list real servers of TCP 10.96.1.3:80', 'add real server 10.244.9.9:8080 to TCP 10.96.1.3:80'], 'no full dump, one virtual server read');
  assert.deepEqual(kinds(out.operations), ['add-real-server']);
  p.memory.forget(); // a full resync reads everything again
  k.ipvs.calls.length = 0;
  await p.sync(changed);
  assert.deepEqual(k.ipvs.calls.filter((c) => c.startsWith('list')), ['list virtual servers', 'list all real servers'], 'a full read: two listings, not one per virtual server');
});
