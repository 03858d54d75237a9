// `migrate start`: applies ipvs-proxy's objects (on labelled nodes only) and keeps kube-proxy's
// DaemonSet off those nodes, by server-side apply under one field manager, so running it again
// changes nothing and a rollback can find what it set. No node changes proxy here.
import { setTimeout as sleep } from 'node:timers/promises';
import { apiGet, apiRequest } from '../sources/api-request.js';
import type { KubeConfig } from '../sources/kube-client.js';
import { isRecord } from '../sources/raw.js';
import { kubeProxyAvoidance, objectPath, type KubeObject } from './objects.js';

export const FIELD_MANAGER = 'ipvs-proxy-migrate';
const TIMEOUT_MS = 30_000;

/** Server-side apply of one object (the fields it sets owned by manager); resolves to the object as the API server stored it. */
export async function apply(kc: KubeConfig, o: KubeObject, manager = FIELD_MANAGER): Promise<unknown> {
  const path = objectPath(o);
  const r = await apiRequest(kc, 'PATCH', path, { params: { fieldManager: manager, force: 'true' }, body: o, contentType: 'application/apply-patch+yaml', timeoutMs: TIMEOUT_MS });
  if (r.status !== 200 && r.status !== 201) throw new Error(`apply ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return JSON.parse(r.text) as unknown;
}

/** Applies the objects, then kube-proxy's avoidance; one line per object for the operator. */
export async function startMigration(kc: KubeConfig, objects: readonly KubeObject[], namespace: string, wait = true): Promise<string[]> {
  const done: string[] = [];
  for (const o of objects) {
    await apply(kc, o);
    done.push(`applied ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
  }
  await apply(kc, kubeProxyAvoidance(namespace));
  done.push(`kube-proxy's DaemonSet keeps off labelled nodes (a required node affinity; ${await restarted(kc, namespace, 'kube-proxy', wait)})`);
  return done;
}

/** The restart of a DaemonSet's pods that a change to its template causes: waited for, or not (--no-wait). */
export async function restarted(kc: KubeConfig, namespace: string, name: string, wait: boolean): Promise<string> {
  return wait ? `its pods restarted once, node by node, in ${await rolledOut(kc, namespace, name)} s` : 'its pods restart once, node by node: not waited for (--no-wait)';
}

/**
 * Waits until the DaemonSet runs a ready pod of its current template on every node it should: a
 * change to its template restarts its pods node by node, and nodes move only once that is over.
 * Resolves to the seconds it took.
 */
export async function rolledOut(kc: KubeConfig, namespace: string, name: string, timeoutMs = 600_000): Promise<number> {
  const t0 = Date.now();
  const path = `/apis/apps/v1/namespaces/${namespace}/daemonsets/${name}`;
  for (;;) {
    const ds = await apiGet(kc, path, { timeoutMs: TIMEOUT_MS }) as { metadata?: { generation?: number }; status?: Record<string, unknown> } | undefined;
    if (!ds) throw new Error(`no DaemonSet ${namespace}/${name}`);
    const s = isRecord(ds.status) ? ds.status : {};
    // the API leaves out counts that are 0
    const n = (k: string) => Number(s[k] ?? 0);
    const desired = n('desiredNumberScheduled');
    if (n('observedGeneration') >= Number(ds.metadata?.generation ?? 0) && n('updatedNumberScheduled') === desired && n('numberReady') === desired && n('numberAvailable') === desired) {
      return Math.round((Date.now() - t0) / 1000);
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`${name}'s pods did not all restart and become ready within ${timeoutMs / 1000} s: ${JSON.stringify(s)}`);
    await sleep(1000);
  }
}
