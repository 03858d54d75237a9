// Packed endpoints must parse exactly as the endpoints they came from, and pack must refuse any
// endpoint it could not give back as the model would read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PackedEndpoints } from '../../../lib/model/packed-endpoints.js';
import { parseEndpointSlice } from '../../../lib/model/endpoint-slice.js';
import { PROXY_NAME } from '../../../lib/model/build.js';

const slice = (endpoints: unknown) => ({
  kind: 'EndpointSlice', metadata: { name: 's-1', namespace: 'ns', labels: { 'kubernetes.io/service-name': 's' } },
  addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints,
});

const condition = fc.constantFrom(true, false, undefined, null);
const endpoint = fc.record({
  addresses: fc.array(fc.oneof(fc.ipV4(), fc.constantFrom('10.0.0.1', '10.0.0.02', '255.255.255.255', '0.0.0.0', '1.2.3', 'fd00::1', 'not-an-ip', '')), { minLength: 1, maxLength: 2 }),
  conditions: fc.option(fc.record({ ready: condition, serving: condition, terminating: condition }, { requiredKeys: [] }), { nil: undefined }),
  nodeName: fc.constantFrom('node-a', 'node-b', 'ip-10-0-12-34.eu-west-1.compute.internal', 'a,b', '', undefined, null),
  zone: fc.constantFrom('z1', undefined),
}, { requiredKeys: ['addresses'] });

test('packed endpoints: any endpoints of the usual types parse to the same slice (or the same problem) packed as unpacked', () => {
  fc.assert(fc.property(fc.array(endpoint, { minLength: 1, maxLength: 30 }), (eps) => {
    const packed = PackedEndpoints.pack(eps);
    assert.ok(packed, 'usual types are packed');
    assert.equal(packed.length, eps.length);
    assert.deepEqual(parseEndpointSlice(slice(packed), PROXY_NAME), parseEndpointSlice(slice(eps), PROXY_NAME));
  }), { numRuns: 500 });
});

test('packed endpoints: unpack gives the fields the model reads, conditions shared, and JSON is the endpoint list', () => {
  const packed = PackedEndpoints.pack([
    { addresses: ['10.0.0.1', '10.0.0.9'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a', targetRef: { name: 'p' } },
    { addresses: ['10.0.0.2'], conditions: { ready: false, terminating: null } },
    { addresses: ['10.0.0.3'], nodeName: 'node-b' },
    { addresses: ['10.0.0.4'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' },
  ])!;
  const out = packed.unpack();
  assert.deepEqual(out, [
    { addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' },
    { addresses: ['10.0.0.2'], conditions: { ready: false } },
    { addresses: ['10.0.0.3'], conditions: {}, nodeName: 'node-b' },
    { addresses: ['10.0.0.4'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-a' },
  ]);
  assert.equal(out[0]!.conditions, out[3]!.conditions, 'one frozen object per combination');
  assert.ok(Object.isFrozen(out[0]!.conditions));
  assert.deepEqual(JSON.parse(JSON.stringify({ endpoints: packed })).endpoints, out);
});

test('packed endpoints: unusual endpoints, or none, are not packed', () => {
  const ok = { addresses: ['10.0.0.1'], conditions: { ready: true }, nodeName: 'n' };
  for (const bad of [
    'x', null, [ok], { addresses: [] }, { addresses: [42] }, { addresses: '10.0.0.1' }, { addresses: ['10.0.0.1,10.0.0.2'] },
    { ...ok, conditions: { ready: 'yes' } }, { ...ok, conditions: { ready: true, extra: 1 } }, { ...ok, conditions: [true] }, { ...ok, conditions: 'ready' },
    { ...ok, nodeName: 7 },
  ]) {
    assert.equal(PackedEndpoints.pack([ok, bad]), undefined, JSON.stringify(bad));
  }
  assert.equal(PackedEndpoints.pack([]), undefined);
});
