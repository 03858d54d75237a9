// A packed EndpointSlice must read back as exactly the slice it was made from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EndpointPacker } from '../../../lib/model/packed-endpoints.js';
import type { Endpoint, EndpointSlice } from '../../../lib/model/endpoint-slice.js';
import { readEndpointSlice } from '../../../lib/sources/read-endpoint-slice.js';

const endpoint = (address: fc.Arbitrary<string>) => fc.record({
  address, ready: fc.boolean(), serving: fc.boolean(), terminating: fc.boolean(),
  nodeName: fc.constantFrom('node-a', 'node-b', 'ip-10-0-12-34.eu-west-1.compute.internal', undefined),
  zoneHints: fc.constantFrom([], ['zone-a'], ['eu-west-1b']),
  nodeHints: fc.constant([]),
}, { noNullPrototype: true }) as fc.Arbitrary<Endpoint>;
const sliceOf = (family: 4 | 6, endpoints: Endpoint[]): EndpointSlice => ({
  namespace: 'ns', name: 's-1', service: 's', family, endpoints, ports: [{ name: 'http', protocol: 'tcp', port: 80 }],
});
const plain = (s: EndpointSlice) => JSON.parse(JSON.stringify(s)) as unknown;

test('packed endpoints: any IPv4 or IPv6 endpoints read back as the slice they were packed from', () => {
  const packer = new EndpointPacker();
  const v6 = fc.constantFrom('fd00::1', 'fd00:10:244::5', '2001:db8::a:b', '::ffff:10.0.0.1');
  fc.assert(fc.property(fc.oneof(
    fc.array(endpoint(fc.ipV4()), { minLength: 1, maxLength: 30 }).map((e) => sliceOf(4, e)),
    fc.array(endpoint(v6), { minLength: 1, maxLength: 30 }).map((e) => sliceOf(6, e)),
  ), (slice) => {
    const packed = packer.pack(slice);
    assert.notEqual(packed, slice, 'packed');
    assert.deepEqual(packed.endpoints, slice.endpoints);
    assert.deepEqual(plain(packed), plain(slice));
  }), { numRuns: 500 });
});

test('packed endpoints: slices with equal ports share one port list; a slice without endpoints, or with node hints or several zone hints on an endpoint, is kept as it is', () => {
  const packer = new EndpointPacker();
  const ep: Endpoint = { address: '10.0.0.1', ready: true, serving: true, terminating: false, nodeName: 'node-a', zoneHints: [], nodeHints: [] };
  const a = packer.pack(sliceOf(4, [ep]));
  const b = packer.pack(sliceOf(4, [{ ...ep, address: '10.0.0.2' }]));
  assert.equal(a.ports, b.ports);
  const empty = sliceOf(4, []);
  assert.equal(packer.pack(empty), empty);
  for (const hinted of [sliceOf(4, [{ ...ep, nodeHints: ['node-a'] }]), sliceOf(4, [{ ...ep, zoneHints: ['zone-a', 'zone-b'] }])]) assert.equal(packer.pack(hinted), hinted);
});

test('packed endpoints: a slice read from an API object packed reads back as it does unpacked', () => {
  const packer = new EndpointPacker();
  const raw = {
    kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.1.5', '10.244.1.6'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a', targetRef: { name: 'p' }, hints: { forZones: [{ name: 'zone-a' }] } },
      { addresses: ['10.244.2.6'], conditions: { ready: false, terminating: null } },
      { addresses: ['10.244.3.7'], nodeName: 'node-b' },
    ],
  };
  const packed = readEndpointSlice(raw, (s) => packer.pack(s));
  const unpacked = readEndpointSlice(raw);
  assert.notEqual(packed.slice, unpacked.slice);
  assert.deepEqual(plain(packed.slice!), plain(unpacked.slice!));
  assert.deepEqual(packed.slice!.endpoints.map((e) => [e.address, e.ready, e.serving, e.terminating, e.nodeName, e.zoneHints]), [
    ['10.244.1.5', true, true, false, 'node-a', ['zone-a']], ['10.244.2.6', false, true, false, undefined, []], ['10.244.3.7', true, true, false, 'node-b', []],
  ]);
});
