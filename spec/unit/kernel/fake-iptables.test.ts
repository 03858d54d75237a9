import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIptables } from '../../fakes/fake-iptables.js';
import { notLocalMatches, skeletonRules } from '../../../lib/model/skeleton.js';
import { restoreText } from '../../../lib/kernel/iptables/save-text.js';
import { skeletonWrite } from '../../../lib/plan/table-writes.js';
import { iptablesConformance } from '../../helpers/iptables-conformance.js';

iptablesConformance('fake iptables', (body) => body(new FakeIptables()));

test('skeleton: the ClusterIP masquerade rule takes exactly one form, as upstream', () => {
  const base = { family: 4 as const, masqueradeBit: 14, notLocal: [] as string[], masqueradeAll: false };
  const masq = (o: typeof base) => skeletonRules(o).nat.rules.filter((r) => r.includes('KUBE-CLUSTER-IP') && r.endsWith('KUBE-MARK-MASQ'));
  assert.deepEqual(masq({ ...base, masqueradeAll: true }), ['-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ']);
  assert.match(masq({ ...base, notLocal: ['! -s 10.244.0.0/16'] })[0]!, /^-A KUBE-SERVICES ! -s 10\.244\.0\.0\/16 .* dst,dst -j KUBE-MARK-MASQ$/);
  assert.match(masq(base)[0]!, /--match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ$/);
});

test('skeleton: each local-traffic detection mode gives the match of the ClusterIP masquerade rule, per family', () => {
  const cluster = ['10.244.0.0/16', 'fd00:10:244::/56'];
  const node = ['10.244.3.0/24', 'fd00:10:244:3::/64', '10.245.3.0/24'];
  assert.deepEqual(notLocalMatches({ mode: 'ClusterCIDR' }, 4, cluster, node), ['! -s 10.244.0.0/16']);
  assert.deepEqual(notLocalMatches({ mode: 'ClusterCIDR' }, 6, cluster, node), ['! -s fd00:10:244::/56']);
  assert.deepEqual(notLocalMatches({ mode: 'NodeCIDR' }, 4, cluster, node), ['! -s 10.244.3.0/24'], 'the first of the family, as upstream');
  assert.deepEqual(notLocalMatches({ mode: 'NodeCIDR' }, 6, cluster, []), [], 'no pod CIDR yet: the node-only form');
  assert.deepEqual(notLocalMatches({ mode: 'BridgeInterface', interface: 'cbr0' }, 6, cluster, node), ['! -i cbr0']);
  assert.deepEqual(notLocalMatches({ mode: 'InterfaceNamePrefix', prefix: 'veth' }, 4, cluster, node), ['! -i veth+']);
  const rule = skeletonRules({ family: 4, masqueradeBit: 14, masqueradeAll: false, notLocal: ['! -i veth+'] }).nat.rules.find((r) => r.includes('KUBE-CLUSTER-IP') && r.endsWith('KUBE-MARK-MASQ'));
  assert.equal(rule, '-A KUBE-SERVICES ! -i veth+ -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ');
});

test('skeleton: IPv6 uses the KUBE-6- sets, ::1 and icmp6 rejects; the mark follows the bit', () => {
  const { nat, filter } = skeletonRules({ family: 6, masqueradeBit: 15, notLocal: [], masqueradeAll: false });
  assert.equal(nat.rules[0], '-A KUBE-SERVICES -s ::1/128 -j RETURN');
  assert.ok(nat.rules.every((r) => !/--match-set KUBE-(?!6-)/.test(r)));
  assert.ok(nat.rules.includes('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x8000/0x8000'));
  assert.match(filter.rules.at(-1)!, /KUBE-6-IPVS-IPS dst -j REJECT --reject-with icmp6-port-unreachable$/);
});

test('skeleton: load balancers whose source ranges exclude the node get an OUT-FILTER drop (#119656)', () => {
  const { filter } = skeletonRules({ family: 4, masqueradeBit: 14, notLocal: [], masqueradeAll: false, outFilter: [{ address: '192.0.2.10', protocol: 'tcp', port: 443 }] });
  assert.ok(filter.rules.includes('-A KUBE-IPVS-OUT-FILTER -s 192.0.2.10/32 -m ipvs --vproto 6 --vaddr 192.0.2.10 --vport 443 -j DROP'));
});

test('a skeleton write declares the owned chains and inserts only the missing jumps', () => {
  const { nat } = skeletonRules({ family: 4, masqueradeBit: 14, notLocal: [], masqueradeAll: false });
  const fresh = restoreText(skeletonWrite(nat, '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'));
  assert.match(fresh, /^\*nat\n:KUBE-SERVICES - \[0:0\]\n/);
  assert.equal(fresh.split('\n').filter((l) => l.startsWith('-I ')).length, 3);
  const withJumps = restoreText(skeletonWrite(nat, '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n'));
  assert.deepEqual(withJumps.split('\n').filter((l) => l.startsWith('-I ')), ['-I POSTROUTING 1 -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING']);
  assert.match(fresh, /COMMIT\n$/);
});
