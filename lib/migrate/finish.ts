// The ends of a migration: finish (every node on ipvs-proxy) removes kube-proxy's DaemonSet, kept
// in the ConfigMap ipvs-proxy-migration so that a rollback can bring it back, and lets ipvs-proxy
// run on every node; a rollback brings kube-proxy's DaemonSet back (keeping off the nodes still
// on ipvs-proxy) before its nodes move, and afterwards removes what start and finish added.
// Changes to kube-proxy's DaemonSet are server-side applies under field managers of our own, so
// undoing one removes exactly the fields it set.
import { apiGet, apiRequest } from '../sources/api-request.js';
import type { KubeConfig } from '../sources/kube-client.js';
import { isRecord } from '../sources/raw.js';
import { MIGRATION_LABEL } from './facts.js';
import { kubeProxyAvoidance, objectPath, type KubeObject } from './objects.js';
import { apply, restarted } from './start.js';

/** What keeps kube-proxy's DaemonSet, as it was before the migration, while it is gone. */
export const SAVED_CONFIGMAP = 'ipvs-proxy-migration';
const SAVED_KEY = 'kube-proxy-daemonset.json';
/** the manager of a restored kube-proxy DaemonSet's own fields: apart from FIELD_MANAGER's avoidance */
const RESTORE_MANAGER = 'ipvs-proxy-migrate-restore';
const TIMEOUT_MS = 30_000;

const get = async (kc: KubeConfig, path: string) => await apiGet(kc, path, { timeoutMs: TIMEOUT_MS }) as Record<string, unknown> | undefined;

async function remove(kc: KubeConfig, o: KubeObject): Promise<boolean> {
  const r = await apiRequest(kc, 'DELETE', objectPath(o), { params: { propagationPolicy: 'Background' }, timeoutMs: TIMEOUT_MS });
  if (r.status === 404) return false;
  if (r.status !== 200 && r.status !== 202) throw new Error(`delete ${o.kind} ${o.metadata.name}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return true;
}

/** kube-proxy's DaemonSet as it was before the migration: its own fields, without the avoidance start added. */
export function savedForm(ds: Record<string, unknown>): KubeObject {
  const meta = isRecord(ds.metadata) ? ds.metadata : {};
  const annotations = isRecord(meta.annotations) ? Object.fromEntries(Object.entries(meta.annotations).filter(([k]) => !k.startsWith('deprecated.daemonset.template.generation'))) : undefined;
  const spec = structuredClone(ds.spec) as { template?: { spec?: { affinity?: unknown } } };
  const pod = spec.template?.spec;
  if (pod && isAvoidanceOnly(pod.affinity)) delete pod.affinity;
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: String(meta.name), namespace: String(meta.namespace), ...(isRecord(meta.labels) ? { labels: meta.labels as Record<string, string> } : {}), ...(annotations && Object.keys(annotations).length ? { annotations } : {}) },
    spec,
  };
}

function isAvoidanceOnly(affinity: unknown): boolean {
  return JSON.stringify(affinity) === JSON.stringify((kubeProxyAvoidance('x').spec as { template: { spec: { affinity: unknown } } }).template.spec.affinity);
}

/** Finish: ipvs-proxy on every node (new ones too), kube-proxy's DaemonSet saved and deleted. */
export async function finishMigration(kc: KubeConfig, namespace: string, wait = true, ipvsProxy = 'ipvs-proxy', kubeProxy = 'kube-proxy'): Promise<string[]> {
  const done: string[] = [];
  const path = `/apis/apps/v1/namespaces/${namespace}/daemonsets/${kubeProxy}`;
  const ds = await get(kc, path);
  if (ds) {
    const saved = savedForm(ds);
    await apply(kc, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: SAVED_CONFIGMAP, namespace }, data: { [SAVED_KEY]: JSON.stringify(saved) } });
    done.push(`saved kube-proxy's DaemonSet in ConfigMap ${namespace}/${SAVED_CONFIGMAP} (for migrate rollback); kube-proxy's own ConfigMap stays`);
  }
  if (await onLabelledOnly(kc, namespace, ipvsProxy, false)) {
    done.push(`ipvs-proxy's DaemonSet runs on every node (no ${MIGRATION_LABEL} selector), so nodes that join get it (${await restarted(kc, namespace, ipvsProxy, wait)})`);
  }
  if (ds) {
    await remove(kc, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: kubeProxy, namespace } });
    done.push(`deleted kube-proxy's DaemonSet`);
  }
  return done;
}

/** A rollback's first part: kube-proxy's DaemonSet back (off labelled nodes), ipvs-proxy back to labelled nodes only. */
export async function prepareRollback(kc: KubeConfig, namespace: string, wait = true, ipvsProxy = 'ipvs-proxy', kubeProxy = 'kube-proxy'): Promise<string[]> {
  const done: string[] = [];
  if (!await get(kc, `/apis/apps/v1/namespaces/${namespace}/daemonsets/${kubeProxy}`)) {
    const cm = await get(kc, `/api/v1/namespaces/${namespace}/configmaps/${SAVED_CONFIGMAP}`);
    const text = isRecord(cm?.data) ? cm.data[SAVED_KEY] : undefined;
    if (typeof text !== 'string') throw new Error(`kube-proxy's DaemonSet is gone and ConfigMap ${namespace}/${SAVED_CONFIGMAP} does not hold it: nothing to roll back to`);
    // the avoidance first, so its pods never start on nodes still on ipvs-proxy
    const saved = JSON.parse(text) as KubeObject & { spec: { template: { spec: Record<string, unknown> } } };
    const withAvoidance = structuredClone(saved);
    withAvoidance.spec.template.spec.affinity = (kubeProxyAvoidance(namespace, kubeProxy).spec as { template: { spec: { affinity: unknown } } }).template.spec.affinity;
    await apply(kc, withAvoidance, RESTORE_MANAGER);
    await apply(kc, kubeProxyAvoidance(namespace, kubeProxy));
    await apply(kc, saved, RESTORE_MANAGER);
    done.push(`kube-proxy's DaemonSet restored from ConfigMap ${namespace}/${SAVED_CONFIGMAP}, keeping off nodes labelled ${MIGRATION_LABEL}`);
  }
  if (await onLabelledOnly(kc, namespace, ipvsProxy, true)) {
    done.push(`ipvs-proxy's DaemonSet runs only on nodes labelled ${MIGRATION_LABEL}=true again (${await restarted(kc, namespace, ipvsProxy, wait)})`);
  }
  return done;
}

/**
 * Adds or removes the migration label in the DaemonSet's node selector, and nothing else (its
 * image and arguments stay as they run); false when it was so already.
 */
async function onLabelledOnly(kc: KubeConfig, namespace: string, name: string, on: boolean): Promise<boolean> {
  const path = `/apis/apps/v1/namespaces/${namespace}/daemonsets/${name}`;
  const ds = await get(kc, path) as { spec?: { template?: { spec?: { nodeSelector?: Record<string, string> } } } } | undefined;
  if (!ds) throw new Error(`no DaemonSet ${namespace}/${name}`);
  const selector = ds.spec?.template?.spec?.nodeSelector;
  if ((selector?.[MIGRATION_LABEL] === 'true') === on) return false;
  const key = `/spec/template/spec/nodeSelector/${MIGRATION_LABEL.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  const patch = on ? (selector ? [{ op: 'add', path: key, value: 'true' }] : [{ op: 'add', path: '/spec/template/spec/nodeSelector', value: { [MIGRATION_LABEL]: 'true' } }]) : [{ op: 'remove', path: key }];
  const r = await apiRequest(kc, 'PATCH', path, { body: patch, contentType: 'application/json-patch+json', timeoutMs: TIMEOUT_MS });
  if (r.status !== 200) throw new Error(`the node selector of ${name}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return true;
}

/** A rollback's last part, every node back on kube-proxy: kube-proxy as before the migration, ipvs-proxy's objects gone. */
export async function completeRollback(kc: KubeConfig, installed: readonly KubeObject[], namespace: string, wait = true, kubeProxy = 'kube-proxy'): Promise<string[]> {
  const done: string[] = [];
  // applying nothing under our field manager takes back every field it set: the avoidance
  await apply(kc, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: kubeProxy, namespace } });
  done.push(`kube-proxy's DaemonSet no longer keeps off labelled nodes (${await restarted(kc, namespace, kubeProxy, wait)})`);
  for (const o of [...installed].reverse()) if (await remove(kc, o)) done.push(`deleted ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
  if (await remove(kc, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: SAVED_CONFIGMAP, namespace } })) done.push(`deleted ConfigMap ${namespace}/${SAVED_CONFIGMAP}`);
  return done;
}
