// Reads the facts of a migration from the API server: a few GETs, each object read through the
// typed readers of facts.ts, so a malformed object is an error naming it.
import { apiGet } from '../sources/api-request.js';
import type { KubeConfig } from '../sources/kube-client.js';
import { list, record } from '../sources/raw.js';
import { readDaemonSet, readKubeProxyConfigMap, readNode, readServiceIPs, type ClusterFacts } from './facts.js';

const TIMEOUT_MS = 15_000;

export async function readClusterFacts(kc: KubeConfig, ipvsProxyName = 'ipvs-proxy'): Promise<ClusterFacts> {
  const get = async <T>(path: string, read: (o: unknown) => T): Promise<T | undefined> => {
    const o = await apiGet(kc, path, { timeoutMs: TIMEOUT_MS });
    if (o === undefined) return undefined;
    try { return read(o); } catch (e) { throw new Error(`${path}: ${(e as Error).message}`); }
  };
  const [kubeProxy, kubeProxyConfig, ipvsProxy, nodes, kubernetesServiceIPs] = await Promise.all([
    get('/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy', readDaemonSet),
    get('/api/v1/namespaces/kube-system/configmaps/kube-proxy', readKubeProxyConfigMap),
    get(`/apis/apps/v1/namespaces/kube-system/daemonsets/${ipvsProxyName}`, readDaemonSet),
    get('/api/v1/nodes', (o) => list(record(o, 'node list').items, 'items').map(readNode)),
    get('/api/v1/namespaces/default/services/kubernetes', readServiceIPs),
  ]);
  return { kubeProxy, kubeProxyConfig, ipvsProxy, nodes: nodes ?? [], kubernetesServiceIPs: kubernetesServiceIPs ?? [] };
}
