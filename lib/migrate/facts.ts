// What a migration from kube-proxy needs to know of the cluster, read from the API objects that
// say where it stands (the two DaemonSets, kube-proxy's ConfigMap, the nodes and their migration
// label): never from a local file, so any step can be interrupted and run again.
import { isRecord, list, optInt, optRecord, optString, record, str, stringMap, type Raw } from '../sources/raw.js';

/**
 * The node label that moves a node: "true" runs ipvs-proxy there; any other value ("moving") runs
 * neither proxy, so the two never program one node at once (the kernel state stays and serves).
 */
export const MIGRATION_LABEL = 'ipvs-proxy.io/enabled';
export const MOVING = 'moving';

export interface ProxyDaemonSet {
  readonly name: string;
  readonly image: string;
  /** the container's command and args, where kube-proxy's --proxy-mode may be */
  readonly commandLine: readonly string[];
  /** its pods run only on labelled nodes (ipvs-proxy's during a migration) */
  readonly onlyLabelled: boolean;
  /** its pods keep off labelled nodes (kube-proxy's during a migration) */
  readonly avoidsLabelled: boolean;
  readonly desired: number;
  readonly ready: number;
}

export interface KubeProxyConfigMap {
  /** data["config.conf"]: a KubeProxyConfiguration */
  readonly configConf?: string;
  /** data["kubeconfig.conf"]: the control-plane endpoint kube-proxy uses */
  readonly kubeconfigConf?: string;
}

export interface NodeFacts {
  readonly name: string;
  readonly ready: boolean;
  /** the migration label's value: ipvs-proxy runs there */
  readonly labelled: boolean;
  /** the label with another value: between the proxies, neither runs there */
  readonly moving: boolean;
  /** its first InternalIP, where a probe reaches a NodePort */
  readonly internalIP?: string;
}

export interface ClusterFacts {
  readonly kubeProxy?: ProxyDaemonSet;
  readonly kubeProxyConfig?: KubeProxyConfigMap;
  readonly ipvsProxy?: ProxyDaemonSet;
  readonly nodes: readonly NodeFacts[];
  /** the kubernetes Service's ClusterIPs: an API server address that needs Service routing */
  readonly kubernetesServiceIPs: readonly string[];
}

export function readDaemonSet(obj: unknown): ProxyDaemonSet {
  const o = record(obj, 'daemonset');
  const meta = record(o.metadata, 'metadata');
  const pod = optRecord(optRecord(optRecord(o.spec, 'spec').template, 'spec.template').spec, 'spec.template.spec');
  const container = record(list(pod.containers, 'spec.template.spec.containers')[0], 'spec.template.spec.containers[0]');
  const words = (v: unknown, path: string) => list(v, path).map((w, i) => str(w, `${path}[${i}]`));
  const status = optRecord(o.status, 'status');
  return {
    name: str(meta.name, 'metadata.name'),
    image: str(container.image, 'spec.template.spec.containers[0].image'),
    commandLine: [...words(container.command, 'containers[0].command'), ...words(container.args, 'containers[0].args')],
    onlyLabelled: stringMap(pod.nodeSelector, 'spec.template.spec.nodeSelector')[MIGRATION_LABEL] === 'true',
    avoidsLabelled: avoidsLabel(pod.affinity),
    desired: optInt(status.desiredNumberScheduled, 'status.desiredNumberScheduled', 0, 1e6) ?? 0,
    ready: optInt(status.numberReady, 'status.numberReady', 0, 1e6) ?? 0,
  };
}

/** Every term of the required node affinity excludes the migration label. */
function avoidsLabel(affinity: unknown): boolean {
  const required = isRecord(affinity) && isRecord(affinity.nodeAffinity) ? affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution : undefined;
  const terms = isRecord(required) ? list(required.nodeSelectorTerms, 'nodeSelectorTerms') : [];
  return terms.length > 0 && terms.every((t) => isRecord(t) && list(t.matchExpressions, 'matchExpressions')
    .some((e) => isRecord(e) && e.key === MIGRATION_LABEL && e.operator === 'DoesNotExist'));
}

export function readKubeProxyConfigMap(obj: unknown): KubeProxyConfigMap {
  const data = stringMap(record(obj, 'configmap').data, 'data');
  return { configConf: data['config.conf'], kubeconfigConf: data['kubeconfig.conf'] };
}

export function readNode(obj: unknown): NodeFacts {
  const o = record(obj, 'node');
  const meta = record(o.metadata, 'metadata');
  const status = optRecord(o.status, 'status');
  const conditions = list(status.conditions, 'status.conditions');
  const label = stringMap(meta.labels, 'metadata.labels')[MIGRATION_LABEL];
  const internal = list(status.addresses, 'status.addresses').find((a) => isRecord(a) && a.type === 'InternalIP');
  return {
    name: str(meta.name, 'metadata.name'),
    ready: conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True'),
    labelled: label === 'true',
    moving: label !== undefined && label !== 'true',
    ...(isRecord(internal) && typeof internal.address === 'string' ? { internalIP: internal.address } : {}),
  };
}

export function readServiceIPs(obj: unknown): string[] {
  const spec: Raw = optRecord(record(obj, 'service').spec, 'spec');
  const ips = list(spec.clusterIPs, 'spec.clusterIPs').map((ip, i) => str(ip, `spec.clusterIPs[${i}]`));
  const one = optString(spec.clusterIP, 'spec.clusterIP');
  return ips.length ? ips : one && one !== 'None' ? [one] : [];
}
