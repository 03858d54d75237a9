// The sync of changes against the full sync: after any sequence of object changes, a kernel kept
// by syncChanges (the incremental model updated only for the changed Services) holds exactly
// what a kernel given a full sync of every object holds. Shared addresses, conflicting virtual
// servers, node ports, local endpoints and slices moving between Services are in the mix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildDesiredState } from '../../../lib/model/build.js';
import { ModelCache } from '../../../lib/model/model-cache.js';
import { sliceOwnerId, type ServiceObject, type SliceObject } from '../../../lib/model/objects.js';
import { ObjectReader } from '../../../lib/sources/read-objects.js';
import type { NodeFacts } from '../../../lib/model/node.js';
import { SyncMemory, syncChanges, syncOnce } from '../../../lib/sync/sync-once.js';
import { formatIpvsadmSave } from '../../../lib/kernel/ipvs/ipvsadm-format.js';
import { formatIpsetSave } from '../../../lib/kernel/ipset/save-format.js';
import { CONFIG, slice, svc } from '../../helpers/objects.js';
import { fakeKernel, memoryLogger, type FakeKernel } from '../../helpers/fake-kernel.js';

type Obj = Record<string, unknown>;
const OPTS = { excludeCidrs: [] };
const idOf = (o: Obj) => { const m = o.metadata as { namespace: string; name: string }; return `${m.namespace}/${m.name}`; };
const keyOf = (o: Obj) => `${String(o.kind)} ${idOf(o)}`;

// Few names and addresses, so that objects collide: two Services on one cluster IP and port, a
// load-balancer IP and an external IP shared by several Services, endpoints on this node.
const service = fc.record({
  n: fc.integer({ min: 0, max: 4 }),
  ip: fc.constantFrom('10.96.0.1', '10.96.0.2', '10.96.0.3'),
  type: fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer'),
  port: fc.constantFrom(80, 443),
  udp: fc.boolean(),
  external: fc.boolean(),
}).map(({ n, ip, type, port, udp, external }) => svc(`s${n}`, {
  type, clusterIPs: [ip], lbIPs: type === 'LoadBalancer' ? ['203.0.113.1'] : undefined,
  ports: [{ name: 'p', port, protocol: udp ? 'UDP' : 'TCP', targetPort: 8080, ...(type !== 'ClusterIP' ? { nodePort: 30000 + n } : {}) }],
  spec: external ? { externalIPs: ['198.51.100.1'] } : {},
}));
const endpointSlice = fc.record({
  n: fc.integer({ min: 0, max: 5 }),
  owner: fc.integer({ min: 0, max: 4 }),
  udp: fc.boolean(),
  eps: fc.array(fc.record({ ip: fc.constantFrom('10.244.1.1', '10.244.1.2', '10.244.2.1'), node: fc.constantFrom('node-a', 'node-b'), ready: fc.boolean() }), { maxLength: 3 }),
}).map(({ n, owner, udp, eps }) => slice(`e${n}`, `s${owner}`, eps, { ports: [{ name: 'p', port: 8080, protocol: udp ? 'UDP' : 'TCP' }] }));
const step = fc.oneof(fc.record({ put: service }), fc.record({ put: endpointSlice }), fc.record({ put: endpointSlice }), fc.record({ del: fc.nat(20) }));

async function kernelText(k: FakeKernel): Promise<string> {
  const vss = await k.ipvs.listVirtualServers();
  const all = await k.ipvs.listAllRealServers!();
  const ipvs = formatIpvsadmSave(vss.map((vs) => ({ vs, realServers: all.get(`${vs.protocol} ${vs.address} ${vs.port}`) ?? [], terminating: [], service: '', portName: '', role: 'cluster-ip' as const })));
  const sets = formatIpsetSave([...(await k.ipsets.list()).values()]);
  const addrs = (await k.links.listAddresses('kube-ipvs0').catch(() => [])).sort().join(' ');
  const tables = await Promise.all(([4, 6] as const).flatMap((f) => (['nat', 'filter'] as const).map((t) => k.iptables.save(f, t))));
  return [ipvs, sets, addrs, ...tables].join('\n---\n');
}

test('sync property: syncing only the changes leaves the kernel exactly as a full sync of every object does', async () => {
  let changeSyncs = 0;
  await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
    const inc = fakeKernel();
    const full = fakeKernel();
    const node: NodeFacts = { name: 'node-a', labels: {}, addresses: await inc.links.listLocalAddresses(), primaryAddresses: [] };
    const { log } = memoryLogger();
    const model = new ModelCache();
    const memory = new SyncMemory();
    const objects = new Map<string, Obj>();
    // each object read once, as a source does
    const reader = new ObjectReader();
    const read = new Map<Obj, ServiceObject | SliceObject>();
    const readService = (o: Obj) => { let r = read.get(o); if (!r) read.set(o, (r = reader.service(o))); return r as ServiceObject; };
    const readSlice = (o: Obj) => { let r = read.get(o); if (!r) read.set(o, (r = reader.endpointSlice(o))); return r as SliceObject; };
    const split = () => ({ services: [...objects.values()].filter((o) => o.kind === 'Service').map(readService), endpointSlices: [...objects.values()].filter((o) => o.kind === 'EndpointSlice').map(readSlice) });
    const objectsOf = (id: string) => ({ services: split().services.filter((o) => `${o.namespace}/${o.name}` === id), slices: split().endpointSlices.filter((o) => sliceOwnerId(o) === id) });
    model.build(split(), node, CONFIG);
    model.takeChanges();
    await syncOnce(inc, model.aggregate.state(), OPTS, log, memory);
    for (const s of steps) {
      // the Services whose objects change, as a source reports them (a slice may move between two)
      const dirty = new Set<string>();
      const before = 'put' in s ? objects.get(keyOf(s.put)) : [...objects.values()][s.del % Math.max(1, objects.size)];
      for (const o of [before, 'put' in s ? s.put : undefined]) if (o) dirty.add(o.kind === 'Service' ? idOf(o) : sliceOwnerId(readSlice(o)));
      if ('put' in s) objects.set(keyOf(s.put), s.put);
      else if (before) objects.delete(keyOf(before));
      const agg = model.update(dirty, objectsOf, node, CONFIG)!;
      const changes = model.takeChanges();
      assert.ok(changes && memory.valid);
      const out = await syncChanges(inc, agg, changes, OPTS, log, memory);
      assert.deepEqual(out.result.failed.map((f) => `${f.op.kind}: ${f.error.message}`), []);
      changeSyncs++;
      await syncOnce(full, buildDesiredState(split(), node, CONFIG), OPTS, log);
      assert.equal(await kernelText(inc), await kernelText(full));
      assert.deepEqual(JSON.parse(JSON.stringify(agg.state(), (_k, v: unknown) => (v instanceof Set ? [...v as Set<unknown>].sort() : v))),
        JSON.parse(JSON.stringify(buildDesiredState(split(), node, CONFIG), (_k, v: unknown) => (v instanceof Set ? [...v as Set<unknown>].sort() : v))));
    }
  }), { numRuns: 300 });
  assert.ok(changeSyncs > 1000, `only ${changeSyncs} syncs of changes`);
});
