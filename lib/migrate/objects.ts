// The objects a migration applies, made from the project's own manifests as
// `kubectl apply -k manifests/kubeadm` makes them (the DaemonSet reads kubeadm's kube-proxy
// ConfigMap unchanged), limited to labelled nodes; and the one change to kube-proxy's DaemonSet
// that keeps it off those nodes. Pure but for readManifests.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsonpatch from 'fast-json-patch';
import YAML from 'yaml';
import { MIGRATION_LABEL } from './facts.js';

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly [field: string]: unknown;
}

export interface Manifests {
  /** the objects of manifests/kustomization.yaml's resources, in order */
  readonly base: readonly KubeObject[];
  /** manifests/kubeadm's JSON 6902 patch of the DaemonSet */
  readonly kubeadmPatch: readonly jsonpatch.Operation[];
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The manifests folder beside the program (lib/ or dist/ alike): the nearest one up the tree. */
export function readManifests(from = dirname(fileURLToPath(import.meta.url))): Manifests {
  let dir = from;
  while (!existsSync(join(dir, 'manifests', 'kustomization.yaml'))) {
    if (dirname(dir) === dir) throw new Error(`no manifests/kustomization.yaml above ${from}`);
    dir = dirname(dir);
  }
  const root = join(dir, 'manifests');
  const k = YAML.parse(readFileSync(join(root, 'kustomization.yaml'), 'utf8')) as { namespace: string; resources: string[]; labels?: Array<{ pairs: Record<string, string> }> };
  return {
    base: k.resources.flatMap((f) => YAML.parseAllDocuments(readFileSync(join(root, f), 'utf8')).map((d) => d.toJS() as KubeObject)),
    kubeadmPatch: YAML.parse(readFileSync(join(root, 'kubeadm', 'daemonset-patch.yaml'), 'utf8')) as jsonpatch.Operation[],
    namespace: k.namespace,
    labels: Object.assign({}, ...(k.labels ?? []).map((l) => l.pairs)) as Record<string, string>,
  };
}

export interface MigrationObjectsOptions {
  /** the proxy's image, over the manifest's */
  readonly image?: string;
  /** the control-plane endpoint when kube-proxy's kubeconfig.conf does not give a usable one */
  readonly master?: string;
}

/** ipvs-proxy's objects for a migration: what manifests/kubeadm deploys, on labelled nodes only. */
export function migrationObjects(m: Manifests, o: MigrationObjectsOptions = {}): KubeObject[] {
  const out: KubeObject[] = [];
  for (const obj of m.base) {
    // the DaemonSet reads kube-proxy's ConfigMap: ipvs-proxy's own is not used
    if (obj.kind === 'ConfigMap') continue;
    const namespaced = !obj.kind.startsWith('Cluster');
    let x = structuredClone(obj) as KubeObject & { metadata: { namespace?: string; labels?: Record<string, string> } };
    x.metadata.labels = { ...x.metadata.labels, ...m.labels };
    if (namespaced) x.metadata.namespace = m.namespace;
    if (x.kind === 'DaemonSet') x = onLabelledNodes(jsonpatch.applyPatch(x, structuredClone(m.kubeadmPatch) as jsonpatch.Operation[], true, false).newDocument, o);
    out.push(x);
  }
  return out;
}

type PodSpec = { nodeSelector?: Record<string, string>; containers: Array<{ image: string; args?: string[] }> };

function onLabelledNodes<T extends KubeObject>(ds: T, o: MigrationObjectsOptions): T {
  const pod = (ds as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
  pod.nodeSelector = { ...pod.nodeSelector, [MIGRATION_LABEL]: 'true' };
  const c = pod.containers[0]!;
  if (o.image) c.image = o.image;
  if (o.master) c.args = [...(c.args ?? []), `--master=${o.master}`];
  return ds;
}

/** What kube-proxy's DaemonSet is given (server-side apply, our field manager): keep off labelled nodes. */
export function kubeProxyAvoidance(namespace: string, name = 'kube-proxy'): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace },
    spec: { template: { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: MIGRATION_LABEL, operator: 'DoesNotExist' }] }],
    } } } } } },
  };
}

const PLURAL: Readonly<Record<string, string>> = { ServiceAccount: 'serviceaccounts', ConfigMap: 'configmaps', DaemonSet: 'daemonsets',
  ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', Role: 'roles', RoleBinding: 'rolebindings' };

/** The API path of an object of the kinds manifests hold (the project's and kubeadm's kube-proxy). */
export function objectPath(o: KubeObject): string {
  const p = PLURAL[o.kind];
  if (!p) throw new Error(`no API path known for ${o.kind} objects`);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}${o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : ''}/${p}/${o.metadata.name}`;
}
