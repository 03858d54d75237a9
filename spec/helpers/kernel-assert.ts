// Assertions and fixtures shared by the kernel adapter suites.
import assert from 'node:assert/strict';
import { isKernelError } from '../../lib/kernel/errors.js';
import { IpsetCli } from '../../lib/kernel/ipset/ipset-cli.js';
import { syncSets } from '../../lib/plan/set-changes.js';
import { KUBE_SETS, kubeSetSpec, type KubeSetId } from '../../lib/model/kube-sets.js';
import { inNamespace } from './in-namespace.js';

/** The promise fails with a KernelError of this errno name. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isKernelError(e), `expected a KernelError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** Create every KUBE-* set (empty) in a namespace: iptables rules can only match existing sets. */
export async function createKubeSets(ns: string, families: ReadonlyArray<4 | 6> = [4, 6]): Promise<void> {
  const sets = (Object.keys(KUBE_SETS) as KubeSetId[]).flatMap((id) => families.map((f) => ({ ...kubeSetSpec(id, f), members: new Set<string>() })));
  await new IpsetCli(inNamespace(ns)).apply(syncSets(sets, new Map()).changes);
}
