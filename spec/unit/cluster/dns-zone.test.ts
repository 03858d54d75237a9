// The DNS stand-in's records and answers (scripts/cluster/dns-zone.ts): what pods resolve in the
// real cluster the conformance tests run on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket, { type Packet } from 'dns-packet';
import { answer, buildZone, type ServiceObject, type SliceObject } from '../../../scripts/cluster/dns-zone.js';

const svc = (name: string, namespace: string, spec: ServiceObject['spec']): ServiceObject => ({ metadata: { name, namespace }, spec });
const zone = buildZone([
  svc('web', 'shop', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
  svc('dual', 'shop', { clusterIP: '10.96.0.21', clusterIPs: ['10.96.0.21', 'fd00:10:96::21'] }),
  svc('db', 'shop', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
  svc('db-all', 'shop', { clusterIP: 'None', publishNotReadyAddresses: true }),
  svc('ext', 'shop', { type: 'ExternalName', externalName: 'web.shop.svc.cluster.local' }),
], [
  { metadata: { namespace: 'shop', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.244.1.5'], hostname: 'db-0', conditions: { ready: true } }, { addresses: ['10.244.2.6'], conditions: { ready: false } }] },
  { metadata: { namespace: 'shop', labels: { 'kubernetes.io/service-name': 'db-all' } }, addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.2.6'], conditions: { ready: false } }] },
], [{ metadata: { namespace: 'shop' }, status: { podIP: '10.244.1.7' } }]);

/** A query through the wire format both ways, as a pod's resolver sends it. */
function ask(name: string, type: string): Packet & { rcode?: string } {
  const q = dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A', class: 'IN' }] });
  return dnsPacket.decode(dnsPacket.encode(answer(zone, dnsPacket.decode(q)))) as Packet & { rcode?: string };
}
const data = (p: Packet) => (p.answers ?? []).map((a) => `${a.type} ${JSON.stringify((a as { data: unknown }).data)}`);

test('DNS stand-in: a ClusterIP Service answers its address, authoritatively, with the query id and RD echoed; AAAA of a v4 Service is NODATA', () => {
  const r = ask('web.shop.svc.cluster.local', 'A');
  assert.equal(r.id, 7);
  assert.equal(r.rcode, 'NOERROR');
  assert.equal((r as { flag_aa?: boolean }).flag_aa, true);
  assert.equal((r as { flag_rd?: boolean }).flag_rd, true);
  assert.deepEqual(data(r), ['A "10.96.0.20"']);
  const six = ask('web.shop.svc.cluster.local', 'AAAA');
  assert.equal(six.rcode, 'NOERROR');
  assert.deepEqual(data(six), []);
  assert.deepEqual(data(ask('dual.shop.svc.cluster.local', 'AAAA')), ['AAAA "fd00:10:96::21"']);
  assert.deepEqual(data(ask('WEB.Shop.svc.cluster.local.', 'A')), ['A "10.96.0.20"'], 'names are case-insensitive');
});

test('DNS stand-in: names that do not exist are NXDOMAIN, inside the zone and outside it (no upstream); a name with names below it is NODATA', () => {
  assert.equal(ask('nope.shop.svc.cluster.local', 'A').rcode, 'NXDOMAIN');
  assert.equal(ask('web.shop.svc.cluster.local.shop.svc.cluster.local', 'A').rcode, 'NXDOMAIN', 'the search path tries this first');
  assert.equal(ask('example.com', 'A').rcode, 'NXDOMAIN');
  const parent = ask('shop.svc.cluster.local', 'A');
  assert.equal(parent.rcode, 'NOERROR');
  assert.deepEqual(data(parent), []);
});

test('DNS stand-in: a headless Service answers its ready endpoints (all with publishNotReadyAddresses), each by hostname, with SRV for named ports', () => {
  assert.deepEqual(data(ask('db.shop.svc.cluster.local', 'A')), ['A "10.244.1.5"']);
  assert.deepEqual(data(ask('db-0.db.shop.svc.cluster.local', 'A')), ['A "10.244.1.5"']);
  assert.deepEqual(data(ask('db-all.shop.svc.cluster.local', 'A')), ['A "10.244.2.6"']);
  assert.deepEqual(data(ask('_pg._tcp.db.shop.svc.cluster.local', 'SRV')), ['SRV {"priority":0,"weight":100,"port":5432,"target":"db-0.db.shop.svc.cluster.local"}']);
  assert.deepEqual(data(ask('_http._tcp.web.shop.svc.cluster.local', 'SRV')), ['SRV {"priority":0,"weight":100,"port":80,"target":"web.shop.svc.cluster.local"}']);
});

test('DNS stand-in: ExternalName is a CNAME, followed inside the zone; pods and reverse lookups answer', () => {
  assert.deepEqual(data(ask('ext.shop.svc.cluster.local', 'A')), ['CNAME "web.shop.svc.cluster.local"', 'A "10.96.0.20"']);
  assert.deepEqual(data(ask('10-244-1-7.shop.pod.cluster.local', 'A')), ['A "10.244.1.7"']);
  assert.deepEqual(data(ask('20.0.96.10.in-addr.arpa', 'PTR')), ['PTR "web.shop.svc.cluster.local"']);
  assert.deepEqual(data(ask('1.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa', 'PTR')), ['PTR "dual.shop.svc.cluster.local"']);
});
