// Local-traffic detection in the desired state: the ClusterIP masquerade rule follows the mode,
// and with NodeCIDR the Node's pod CIDRs as they change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelCache } from '../../../lib/model/model-cache.js';
import type { DesiredState } from '../../../lib/model/desired-state.js';
import { readSnapshot } from '../../../lib/sources/read-objects.js';
import { CONFIG, NODE, slice, svc } from '../../helpers/objects.js';

const masq = (d: DesiredState, family: 4 | 6) => d.iptables.find((f) => f.family === family)!.tables[0]!.rules
  .filter((r) => /KUBE-(6-)?CLUSTER-IP /.test(r) && r.endsWith('-j KUBE-MARK-MASQ')).map((r) => r.split(' -m comment')[0]);
const snapshot = readSnapshot({ services: [svc('web')], endpointSlices: [slice('web-1', 'web', ['10.244.1.5'])] });

test('detect-local: ClusterCIDR, BridgeInterface and InterfaceNamePrefix give the masquerade rule of each family', () => {
  const build = (detectLocal: typeof CONFIG.detectLocal) => new ModelCache().build(snapshot, NODE, { ...CONFIG, detectLocal });
  assert.deepEqual(masq(build(undefined), 4), ['-A KUBE-SERVICES ! -s 10.244.0.0/16'], 'ClusterCIDR is the default');
  assert.deepEqual(masq(build({ mode: 'ClusterCIDR' }), 6), ['-A KUBE-SERVICES ! -s fd00:10:244::/56']);
  assert.deepEqual(masq(build({ mode: 'BridgeInterface', interface: 'cbr0' }), 6), ['-A KUBE-SERVICES ! -i cbr0']);
  assert.deepEqual(masq(build({ mode: 'InterfaceNamePrefix', prefix: 'cali' }), 4), ['-A KUBE-SERVICES ! -i cali+']);
});

test('detect-local: NodeCIDR follows the Node\'s podCIDRs as they change, without a restart; none yet: the node-only form', () => {
  const cache = new ModelCache();
  const config = { ...CONFIG, detectLocal: { mode: 'NodeCIDR' as const } };
  assert.deepEqual(masq(cache.build(snapshot, NODE, config), 4), ['-A KUBE-SERVICES'], 'no pod CIDR: only VIP-sourced node traffic (src,dst)');
  let d = cache.build(snapshot, { ...NODE, podCidrs: ['10.244.3.0/24', 'fd00:10:244:3::/64'] }, config);
  assert.deepEqual([masq(d, 4), masq(d, 6)], [['-A KUBE-SERVICES ! -s 10.244.3.0/24'], ['-A KUBE-SERVICES ! -s fd00:10:244:3::/64']]);
  d = cache.build(snapshot, { ...NODE, podCidrs: ['10.244.7.0/24'] }, config);
  assert.deepEqual(masq(d, 4), ['-A KUBE-SERVICES ! -s 10.244.7.0/24']);
});
