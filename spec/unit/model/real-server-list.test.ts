// The packed lists of real servers: the model's desired ones and the kernel's reported ones give
// back exactly the real servers they were made from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RealServerList } from '../../../lib/model/real-server-list.js';
import { RealServerStatusList, statusEntry } from '../../../lib/kernel/ipvs/status-list.js';
import { rsKey, type ForwardMethod, type RealServerStatus } from '../../../lib/kernel/ipvs/types.js';
import { canonicalIp } from '../../../lib/net/address.js';

// canonical, as the model's addresses are
const address = fc.oneof(fc.ipV4(), fc.ipV6()).map((a) => canonicalIp(a)).filter((a): a is string => a !== undefined);
const endpoint = fc.record({ address, port: fc.integer({ min: 0, max: 65535 }) });

test('desired real servers: packed and read back they are the same endpoints at weight 1, masqueraded, in address then port order', () => {
  fc.assert(fc.property(fc.uniqueArray(endpoint, { selector: rsKey, maxLength: 30 }), (eps) => {
    const list = RealServerList.of(eps);
    const want = [...eps].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port))
      .map((e) => ({ address: e.address, port: e.port, weight: 1, forward: 'masq', upperThreshold: 0, lowerThreshold: 0 }));
    assert.equal(list.length, eps.length);
    assert.deepEqual([...list], want);
    assert.deepEqual(list.keys(), want.map(rsKey));
    assert.deepEqual(JSON.parse(JSON.stringify(list)), want);
  }), { numRuns: 300 });
  assert.equal(RealServerList.of([]), RealServerList.EMPTY);
  assert.deepEqual([...RealServerList.EMPTY], []);
});

test('reported real servers: packed and read back they are the statuses they were made from (every forward method, IPv4 and IPv6)', () => {
  const status = fc.record({
    ep: endpoint,
    forward: fc.constantFrom<ForwardMethod>('masq', 'local', 'tunnel', 'route', 'bypass'),
    weight: fc.integer({ min: 0, max: 0x7fffffff }),
    active: fc.nat(), inactive: fc.nat(),
  });
  fc.assert(fc.property(fc.array(status, { maxLength: 30 }), (ss) => {
    const list = RealServerStatusList.of(ss.map((s) => statusEntry(s.ep.address, s.ep.port, s.forward, s.weight, s.active, s.inactive)));
    const want: RealServerStatus[] = ss.map((s) => ({
      address: s.ep.address, port: s.ep.port, forward: s.forward, weight: s.weight, upperThreshold: 0, lowerThreshold: 0,
      activeConnections: s.active, inactiveConnections: s.inactive, persistentConnections: 0,
    }));
    assert.equal(list.length, ss.length);
    assert.deepEqual([...list], want);
    assert.deepEqual(list.map((r) => r.address), want.map((r) => r.address));
  }), { numRuns: 300 });
});

test('reported real servers: plainKeys gives the keys only when every one is masqueraded at weight 1', () => {
  const list = (...e: Array<[ForwardMethod, number]>) => RealServerStatusList.of(e.map(([f, w], i) => statusEntry(`10.0.0.${i + 1}`, 80, f, w, 3, 4)));
  assert.deepEqual(list(['masq', 1], ['masq', 1]).plainKeys(), ['10.0.0.1:80', '10.0.0.2:80']);
  assert.deepEqual(RealServerStatusList.of([statusEntry('fd00::1', 8080, 'masq', 1, 0, 0)]).plainKeys(), ['[fd00::1]:8080']);
  assert.equal(list(['masq', 1], ['masq', 0]).plainKeys(), undefined, 'draining at weight 0');
  assert.equal(list(['masq', 11]).plainKeys(), undefined, 'weight 11');
  assert.equal(list(['route', 1]).plainKeys(), undefined, 'direct routing');
  assert.deepEqual(RealServerStatusList.EMPTY.plainKeys(), []);
});
