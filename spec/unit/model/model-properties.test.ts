// Properties of the model over generated input: it never throws, whatever the objects hold, and
// its output does not depend on the order the objects arrive in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildDesiredState } from '../../../lib/model/build.js';
import { ModelCache } from '../../../lib/model/model-cache.js';
import type { DesiredState } from '../../../lib/model/desired-state.js';
import { CONFIG, NODE as BARE_NODE } from '../../helpers/objects.js';

// a node in zone-a, so that the generated zone and node hints narrow endpoints
const NODE = { ...BARE_NODE, labels: { 'topology.kubernetes.io/zone': 'zone-a' } };
import { ObjectReader, readSnapshot } from '../../../lib/sources/read-objects.js';
import type { ServiceObject, SliceObject } from '../../../lib/model/objects.js';

const ip4 = fc.oneof(fc.ipV4(), fc.constantFrom('10.96.0.1', '10.96.0.2', '192.168.1.10', 'None', '', '1.2.3', '::ffff:1.2.3.4', '300.1.1.1'));
const ip6 = fc.oneof(fc.ipV6(), fc.constantFrom('fd00::1', 'fd00::2', 'fe80::1', '::'));
const ip = fc.oneof(ip4, ip6);
const junk = fc.oneof(fc.constant(null), fc.constant(undefined), fc.integer(), fc.string(), fc.boolean(), fc.array(fc.anything(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: junk });
const name = fc.constantFrom('a', 'b', 'c', 'web', 'dns');
const ns = fc.constantFrom('default', 'kube-system');
const proto = maybe(fc.constantFrom('TCP', 'UDP', 'SCTP', 'QUIC'));
const port = maybe(fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(80, 53, 0, 70000, -1)));

const servicePort = fc.record({ name: maybe(fc.constantFrom('', 'http', 'dns')), port, protocol: proto, nodePort: maybe(fc.constantFrom(0, 30080, 30081, 99999)), targetPort: maybe(fc.oneof(port, fc.constantFrom('http', 'dns'))) }, { requiredKeys: [] });
const service = fc.record({
  kind: fc.constant('Service'),
  metadata: maybe(fc.record({ name: maybe(name), namespace: maybe(ns), labels: maybe(fc.dictionary(fc.constantFrom('service.kubernetes.io/service-proxy-name', 'x'), fc.constantFrom('ipvs-proxy', 'other'))), annotations: maybe(fc.dictionary(fc.constantFrom('ipvs-proxy.io/scheduler', 'ipvs-proxy.io/scheduler-flags'), fc.constantFrom('sh', 'lc', 'bogus', 'port,fallback', 'x'))) }, { requiredKeys: [] })),
  spec: maybe(fc.record({
    type: maybe(fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName', 'Weird')),
    clusterIP: maybe(ip), clusterIPs: maybe(fc.array(ip, { maxLength: 3 })), ports: maybe(fc.array(maybe(servicePort), { maxLength: 3 })),
    externalIPs: maybe(fc.array(ip, { maxLength: 2 })), loadBalancerSourceRanges: maybe(fc.array(fc.constantFrom('0.0.0.0/0', '10.0.0.0/8', '192.168.1.0/24', 'fd00::/8', 'bogus', '1.2.3.4/33'), { maxLength: 2 })),
    sessionAffinity: maybe(fc.constantFrom('None', 'ClientIP', 'Sticky')), sessionAffinityConfig: maybe(fc.record({ clientIP: maybe(fc.record({ timeoutSeconds: port })) })),
    externalTrafficPolicy: maybe(fc.constantFrom('Cluster', 'Local', 'Global')), internalTrafficPolicy: maybe(fc.constantFrom('Cluster', 'Local')), healthCheckNodePort: port,
  }, { requiredKeys: [] })),
  status: maybe(fc.record({ loadBalancer: maybe(fc.record({ ingress: maybe(fc.array(maybe(fc.record({ ip: maybe(ip), ipMode: maybe(fc.constantFrom('VIP', 'Proxy')) }, { requiredKeys: [] })), { maxLength: 2 })) })) })),
}, { requiredKeys: ['kind'] });

const endpoint = fc.record({
  addresses: maybe(fc.array(ip, { maxLength: 2 })),
  conditions: maybe(fc.record({ ready: maybe(fc.boolean()), serving: maybe(fc.boolean()), terminating: maybe(fc.boolean()) }, { requiredKeys: [] })),
  nodeName: maybe(fc.constantFrom('node-a', 'node-b')),
  hints: maybe(fc.record({ forZones: maybe(fc.array(maybe(fc.record({ name: maybe(fc.constantFrom('zone-a', 'zone-b')) }, { requiredKeys: [] })), { maxLength: 2 })),
    forNodes: maybe(fc.array(fc.record({ name: fc.constantFrom('node-a', 'node-b') }), { maxLength: 1 })) }, { requiredKeys: [] })),
}, { requiredKeys: [] });
const slice = fc.record({
  kind: fc.constant('EndpointSlice'),
  metadata: maybe(fc.record({ name: maybe(fc.constantFrom('s1', 's2', 's3', 's4')), namespace: maybe(ns), labels: maybe(fc.record({ 'kubernetes.io/service-name': maybe(name) }, { requiredKeys: [] })) }, { requiredKeys: [] })),
  addressType: maybe(fc.constantFrom('IPv4', 'IPv6', 'FQDN', 'IPX')),
  endpoints: maybe(fc.array(maybe(endpoint), { maxLength: 4 })),
  ports: maybe(fc.array(maybe(fc.record({ name: maybe(fc.constantFrom('', 'http', 'dns')), port, protocol: proto }, { requiredKeys: [] })), { maxLength: 2 })),
}, { requiredKeys: ['kind'] });

// Mostly valid objects over small pools, so Services, slices and endpoints collide and overlap.
const validService = fc.record({
  kind: fc.constant('Service'),
  metadata: fc.record({ name, namespace: ns }),
  spec: fc.record({
    type: fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer'),
    clusterIPs: fc.constantFrom(['10.96.0.1'], ['10.96.0.2'], ['10.96.0.1', 'fd00::1'], ['fd00::2']),
    ports: fc.constantFrom([{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }], [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'http', port: 80 }]),
    externalIPs: fc.constantFrom([], ['203.0.113.5'], ['192.168.1.10']),
    externalTrafficPolicy: fc.constantFrom('Cluster', 'Local'),
  }),
});
const validSlice = fc.record({
  kind: fc.constant('EndpointSlice'),
  metadata: fc.record({ name: fc.constantFrom('s1', 's2', 's3', 's4'), namespace: ns, labels: fc.record({ 'kubernetes.io/service-name': name }) }),
  addressType: fc.constant('IPv4'),
  endpoints: fc.array(fc.record({
    addresses: fc.constantFrom(['10.244.1.1'], ['10.244.1.2'], ['10.244.2.3']),
    conditions: fc.record({ ready: fc.boolean(), serving: fc.boolean(), terminating: fc.boolean() }),
    nodeName: fc.constantFrom('node-a', 'node-b'),
    hints: fc.constantFrom(undefined, { forZones: [{ name: 'zone-a' }] }, { forZones: [{ name: 'zone-b' }] }, { forZones: [{ name: 'zone-a' }], forNodes: [{ name: 'node-a' }] }),
  }), { maxLength: 3 }),
  ports: fc.constantFrom([{ name: 'http', port: 8080 }], [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'http', port: 8081 }]),
});

const anyObjects = fc.array(fc.oneof(validService, validSlice, service, slice, fc.anything()), { maxLength: 12 });

/** The state as comparable plain data (sets to sorted arrays). */
const plain = (d: DesiredState) => JSON.stringify(d, (_k, v: unknown) => (v instanceof Set ? [...v].sort() : v));

const isSlice = (o: unknown) => (o as { kind?: unknown } | null)?.kind === 'EndpointSlice';
const split = (objs: readonly unknown[]) => ({ services: objs.filter((o) => !isSlice(o)), endpointSlices: objs.filter(isSlice) });

function run(objects: readonly unknown[]): DesiredState {
  return buildDesiredState(readSnapshot(split(objects)), NODE, CONFIG);
}

test('model property: never throws on arbitrary or malformed objects, and reports each bad one', () => {
  fc.assert(fc.property(anyObjects, (objects) => {
    const d = run(objects);
    for (const p of d.problems) assert.ok(p.reason.length > 0);
  }), { numRuns: 1500 });
});

test('model property: the same objects in any order give the same desired state', () => {
  let programmed = 0;
  fc.assert(fc.property(fc.array(fc.oneof(validService, validSlice, validSlice, service, slice), { maxLength: 10 }).chain((objs) => fc.tuple(fc.constant(objs), fc.shuffledSubarray(objs, { minLength: objs.length, maxLength: objs.length }))), ([objs, shuffled]) => {
    const d = run(objs);
    if (d.virtualServers.some((v) => v.realServers.length > 0)) programmed++;
    assert.equal(plain(run(shuffled)), plain(d));
  }), { numRuns: 1500 });
  // The generator must reach valid Services with endpoints often enough to mean something.
  assert.ok(programmed > 50, `only ${programmed} runs had real servers`);
});

test('model property: every virtual server has a bound address or is a NodePort or node-address VIP, and KUBE-IPVS-IPS equals the bound addresses', () => {
  fc.assert(fc.property(anyObjects, (objects) => {
    const d = run(objects);
    const bound = new Set(d.boundAddresses);
    const own = new Set(NODE.addresses.filter((a) => a.link !== 'kube-ipvs0').map((a) => a.address));
    for (const v of d.virtualServers) assert.ok(bound.has(v.vs.address) || own.has(v.vs.address), `${v.vs.address} ${v.role}`);
    const ips = [...d.sets.filter((s) => s.name.endsWith('IPVS-IPS')).flatMap((s) => [...s.members])].sort();
    assert.deepEqual(ips, [...d.boundAddresses].sort());
  }), { numRuns: 500 });
});

test('model property: a model rebuilt with the groups it kept gives exactly a fresh model\'s state, across changing snapshots', () => {
  let reused = 0;
  fc.assert(fc.property(
    fc.array(fc.oneof(validService, validSlice, validSlice, service, slice), { maxLength: 10 }),
    fc.array(fc.tuple(fc.boolean(), fc.oneof(validService, validSlice)), { maxLength: 10 }),
    (first, edits) => {
      // each object read once, as a source does: unchanged objects are the same ones in the next snapshot
      const reader = new ObjectReader();
      const read = new Map<unknown, ServiceObject | SliceObject>();
      const snapshot = (objs: readonly unknown[]) => {
        const once = (o: unknown, f: (o: unknown) => ServiceObject | SliceObject) => { let r = read.get(o); if (!r) read.set(o, (r = f(o))); return r; };
        const { services, endpointSlices } = split(objs);
        return { services: services.map((o) => once(o, (x) => reader.service(x)) as ServiceObject), endpointSlices: endpointSlices.map((o) => once(o, (x) => reader.endpointSlice(x)) as SliceObject) };
      };
      const cache = new ModelCache();
      assert.equal(plain(cache.build(snapshot(first), NODE, CONFIG)), plain(run(first)));
      // the next snapshot keeps some objects as they were (same references) and replaces or adds others
      const next = first.map((o, i) => (edits[i]?.[0] ? edits[i]![1] : o)).concat(edits.slice(first.length).map((e) => e[1]));
      assert.equal(plain(cache.build(snapshot(next), NODE, CONFIG)), plain(run(next)));
      if (cache.recomputed < split(next).services.length) reused++;
    }), { numRuns: 1000 });
  assert.ok(reused > 50, `cached states reused in only ${reused} runs`);
});
