// One behaviour suite for every Ipsets implementation: the fake (unit) and the ipset tool in a
// fresh network namespace (host, root). Both must end in the same `ipset save` state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKernelError } from '../../lib/kernel/errors.js';
import { setChangeCount, syncSets } from '../../lib/plan/set-changes.js';
import { restoreText } from '../../lib/kernel/ipset/restore-text.js';
import { formatIpsetSave } from '../../lib/kernel/ipset/save-format.js';
import { KUBE_SETS, kubeSetSpec, type KubeSetId } from '../../lib/model/kube-sets.js';
import type { Ipsets, SetState } from '../../lib/kernel/ipset/types.js';

const v4 = (name: string, type: SetState['type']) => ({ name, type, family: 4 as const });

export const state = (id: KubeSetId, family: 4 | 6, members: string[]): SetState => ({ ...kubeSetSpec(id, family), members: new Set(members) });

/** Observe, plan, apply: what a sync does with the adapter. */
export async function sync(ipsets: Ipsets, desired: SetState[], rebuildAll = false) {
  const sync = syncSets(desired, await ipsets.list(), { rebuildAll });
  await ipsets.apply(sync.changes);
  return { ...sync, script: restoreText(sync.changes) };
}

const SAMPLE: SetState[] = [
  state('clusterIp', 4, ['10.96.0.1,tcp:443', '10.96.0.10,udp:53', '10.96.0.10,tcp:53', '10.96.0.20,sctp:3868']),
  state('loopBack', 4, ['10.244.1.5,tcp:8080,10.244.1.5']),
  state('loadBalancerSourceCidr', 4, ['192.0.2.10,tcp:443,203.0.113.0/24', '192.0.2.10,tcp:443,198.51.100.7']),
  state('nodePortTcp', 4, ['30080', '31000']),
  state('ipvsIps', 4, ['10.96.0.1', '10.96.0.10']),
  state('clusterIp', 6, ['fd00:10:96::1,tcp:443']),
  state('loopBack', 6, ['fd00:10:244:1::5,tcp:8080,fd00:10:244:1::5']),
  state('nodePortTcp', 6, ['30080']),
];

export function ipsetConformance(label: string, withIpsets: (body: (ipsets: Ipsets) => Promise<void>) => Promise<void>): void {
  const t = (name: string, body: (ipsets: Ipsets) => Promise<void>) => test(`${label}: ${name}`, () => withIpsets(body));

  t('every KUBE-* set of the reference is created with its type, both families', async (ipsets) => {
    const all = (Object.keys(KUBE_SETS) as KubeSetId[]).flatMap((id) => [state(id, 4, []), state(id, 6, [])]);
    await sync(ipsets, all);
    const listed = await ipsets.list();
    assert.equal(listed.size, all.length);
    assert.equal(formatIpsetSave(listed.values()), formatIpsetSave(all));
    assert.ok(listed.has('KUBE-6-LOAD-BALANCER-SOURCE-CID'), 'IPv6 names are cut to 31 characters');
  });

  t('members sync to the desired lists; a second sync with nothing changed does nothing', async (ipsets) => {
    const first = await sync(ipsets, SAMPLE);
    assert.equal(first.created, SAMPLE.length);
    assert.equal(formatIpsetSave((await ipsets.list()).values()), formatIpsetSave(SAMPLE));
    const again = await sync(ipsets, SAMPLE);
    assert.equal(setChangeCount(again.changes), 0);
    const changed = SAMPLE.map((s) => s.name === 'KUBE-CLUSTER-IP'
      ? { ...s, members: new Set(['10.96.0.1,tcp:443', '10.96.0.10,udp:53', '10.96.0.10,tcp:53', '10.96.0.99,tcp:80']) } : s);
    const patch = await sync(ipsets, changed);
    assert.deepEqual([patch.added, patch.deleted, patch.rebuilt], [1, 1, 0]);
    assert.match(patch.script, /^del KUBE-CLUSTER-IP 10\.96\.0\.20,sctp:3868 -exist\nadd KUBE-CLUSTER-IP 10\.96\.0\.99,tcp:80 -exist\n$/);
    assert.equal(formatIpsetSave((await ipsets.list()).values()), formatIpsetSave(changed));
  });

  t('a large change rebuilds through a temporary set and swap, never flushing the live set', async (ipsets) => {
    await sync(ipsets, SAMPLE);
    const replaced = SAMPLE.map((s) => s.name === 'KUBE-CLUSTER-IP' ? { ...s, members: new Set(['10.96.1.1,tcp:80', '10.96.1.2,tcp:80']) } : s);
    const r = await sync(ipsets, replaced);
    assert.equal(r.rebuilt, 1);
    assert.match(r.script, /swap KUBE-IPVS-PROXY-TMP KUBE-CLUSTER-IP\ndestroy KUBE-IPVS-PROXY-TMP/);
    assert.doesNotMatch(r.script, /flush KUBE-CLUSTER-IP|destroy KUBE-CLUSTER-IP/);
    assert.equal(formatIpsetSave((await ipsets.list()).values()), formatIpsetSave(replaced));
    const full = await sync(ipsets, replaced, true);
    assert.equal(full.rebuilt, replaced.length);
    assert.equal(formatIpsetSave((await ipsets.list()).values()), formatIpsetSave(replaced));
  });

  t('a set of the wrong type is replaced', async (ipsets) => {
    await ipsets.apply([{ op: 'create', set: v4('KUBE-IPVS-IPS', 'hash:ip,port') }]);
    await sync(ipsets, [state('ipvsIps', 4, ['10.96.0.1'])]);
    assert.equal(formatIpsetSave((await ipsets.list()).values()), formatIpsetSave([state('ipvsIps', 4, ['10.96.0.1'])]));
  });

  t('a bad change fails with the restore line that broke it; earlier changes stay, the members batched with it do not', async (ipsets) => {
    await assert.rejects(
      ipsets.apply([{ op: 'create', set: v4('KUBE-LOOP-BACK', 'hash:ip,port,ip') }, { op: 'add', set: 'KUBE-NOPE', members: ['10.0.0.1'] }]),
      (e: unknown) => {
        assert.ok(isKernelError(e, 'IPSET'), String(e));
        assert.match(e.message, /ipset restore line 2 "add KUBE-NOPE 10\.0\.0\.1 -exist": .*does not exist/);
        return true;
      });
    assert.ok((await ipsets.list()).has('KUBE-LOOP-BACK'));
    // ipset restore sends a set's consecutive members in one message: a bad one loses its batch
    await assert.rejects(ipsets.apply([{ op: 'add', set: 'KUBE-LOOP-BACK', members: ['10.0.0.1,tcp:80,10.0.0.2', '10.0.0.1,tcp:80'] }]), /line 2 .*10\.0\.0\.1,tcp:80 -exist/);
    assert.deepEqual([...(await ipsets.list()).get('KUBE-LOOP-BACK')!.members], [], 'no member of the batch is added');
  });

  t('sets not named KUBE-* are not listed, so never synced or removed', async (ipsets) => {
    await ipsets.apply([{ op: 'create', set: v4('my-firewall', 'hash:ip') }]);
    assert.equal((await ipsets.list()).has('my-firewall'), false);
    await ipsets.apply([{ op: 'destroy', set: 'my-firewall' }]);
  });
}
