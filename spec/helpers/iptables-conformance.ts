// One behaviour suite for every Iptables implementation: the fake (unit) and the real tools in a
// fresh network namespace (host, root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKernelError } from '../../lib/kernel/errors.js';
import { JUMP_RULES, skeletonRules, type SkeletonOptions, OWNED_CHAINS } from '../../lib/model/skeleton.js';
import { inSaveOrder, jumpRuleText, ownedRulesOf } from '../../lib/kernel/iptables/save-text.js';
import { writeSkeleton } from './write-skeleton.js';
import { tableWrite, type Iptables } from '../../lib/kernel/iptables/types.js';

const v4: SkeletonOptions = { family: 4, masqueradeAll: false, notLocal: ['! -s 10.244.0.0/16'], masqueradeBit: 14 };
const v6: SkeletonOptions = { family: 6, masqueradeAll: false, notLocal: [], masqueradeBit: 14 };

export function iptablesConformance(label: string, withIptables: (body: (ipt: Iptables) => Promise<void>) => Promise<void>): void {
  const t = (name: string, body: (ipt: Iptables) => Promise<void>) => test(`${label}: ${name}`, () => withIptables(body));

  const variants: Array<[string, SkeletonOptions]> = [
    ['IPv4', v4], ['IPv6', v6], ['IPv4, masquerade-all, bit 13', { ...v4, masqueradeAll: true, masqueradeBit: 13, randomFully: true }],
    ['IPv4, local traffic by bridge interface', { ...v4, notLocal: ['! -i cbr0'] }], ['IPv4, local traffic by interface name prefix', { ...v4, notLocal: ['! -i veth+'] }],
  ];
  for (const [name, opts] of variants) {
    t(`the skeleton reads back exactly as written (${name})`, async (ipt) => {
      const { nat, filter } = skeletonRules(opts);
      await writeSkeleton(ipt, opts.family, [nat, filter]);
      assert.deepEqual(ownedRulesOf(await ipt.save(opts.family, 'nat'), OWNED_CHAINS.nat), inSaveOrder(nat.rules));
      assert.deepEqual(ownedRulesOf(await ipt.save(opts.family, 'filter'), OWNED_CHAINS.filter), inSaveOrder(filter.rules));
    });
  }

  t('jump rules are inserted once, at the top, and rules of others are kept', async (ipt) => {
    await ipt.write(4, tableWrite('filter', { rules: ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'] }));
    const { nat, filter } = skeletonRules(v4);
    await writeSkeleton(ipt, 4, [nat, filter]);
    await writeSkeleton(ipt, 4, [nat, filter]);
    for (const table of ['nat', 'filter'] as const) {
      const saved = (await ipt.save(4, table)).split('\n');
      for (const j of JUMP_RULES.filter((r) => r.table === table)) {
        assert.equal(saved.filter((l) => l === jumpRuleText(j)).length, 1, `${jumpRuleText(j)} once`);
      }
    }
    const input = (await ipt.save(4, 'filter')).split('\n').filter((l) => l.startsWith('-A INPUT '));
    assert.equal(input.at(-1), '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', 'the existing rule stays, after our jumps');
  });

  t('a chain flushed by hand is repaired by the next write', async (ipt) => {
    const { nat, filter } = skeletonRules(v4);
    await writeSkeleton(ipt, 4, [nat, filter]);
    await ipt.write(4, tableWrite('nat', { chains: ['KUBE-SERVICES'] }));
    assert.equal(ownedRulesOf(await ipt.save(4, 'nat'), OWNED_CHAINS.nat).filter((l) => l.startsWith('-A KUBE-SERVICES')).length, 0);
    await writeSkeleton(ipt, 4, [nat, filter]);
    assert.deepEqual(ownedRulesOf(await ipt.save(4, 'nat'), OWNED_CHAINS.nat), inSaveOrder(nat.rules));
  });

  t('a rule with a missing chain fails the whole write, and nothing of it is applied', async (ipt) => {
    await assert.rejects(ipt.write(4, tableWrite('nat', { chains: ['KUBE-MARK-MASQ'], rules: ['-A KUBE-NOPE -j RETURN'] })),
      (e: unknown) => { assert.ok(isKernelError(e, 'IPTABLES'), String(e)); return true; });
    assert.doesNotMatch(await ipt.save(4, 'nat'), /KUBE-MARK-MASQ/);
  });

  t('owned jumps and chains are removed, and the rules of others stay; a chain still referenced is not deleted', async (ipt) => {
    await ipt.write(4, tableWrite('filter', { rules: ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'] }));
    const { nat, filter } = skeletonRules(v4);
    await writeSkeleton(ipt, 4, [nat, filter]);
    await assert.rejects(ipt.write(4, tableWrite('filter', { deleteChains: ['KUBE-FORWARD'] })), (e: unknown) => isKernelError(e, 'IPTABLES'));
    for (const table of ['nat', 'filter'] as const) {
      await ipt.write(4, tableWrite(table, { deleteJumps: JUMP_RULES.filter((j) => j.table === table), deleteChains: [...OWNED_CHAINS[table]] }));
      assert.doesNotMatch(await ipt.save(4, table), /KUBE-/, table);
    }
    assert.match(await ipt.save(4, 'filter'), /^-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT$/m);
  });
}
