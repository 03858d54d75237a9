// `migrate start`: applies ipvs-proxy's objects (on labelled nodes only) and keeps kube-proxy's
// DaemonSet off those nodes, by server-side apply under one field manager, so running it again
// changes nothing and a rollback can find what it set. No node changes proxy here.
import { apiRequest } from '../sources/api-request.js';
import type { KubeConfig } from '../sources/kube-client.js';
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
export async function startMigration(kc: KubeConfig, objects: readonly KubeObject[], namespace: string): Promise<string[]> {
  const done: string[] = [];
  for (const o of objects) {
    await apply(kc, o);
    done.push(`applied ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
  }
  await apply(kc, kubeProxyAvoidance(namespace));
  done.push(`kube-proxy's DaemonSet keeps off labelled nodes (a required node affinity; its pods restart once, node by node)`);
  return done;
}
