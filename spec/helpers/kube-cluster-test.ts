// What the tests on the real cluster (spec/kube) do through kubectl, as an operator would.
import type { KubeCluster } from '../../scripts/cluster/cluster.js';
import { kubeBinary } from './control-plane.js';
import { exec } from './exec.js';

/** kubectl against the cluster; its stdout, or an error with what it said. */
export async function kubectlMust(cluster: KubeCluster, ...args: string[]): Promise<string> {
  const r = await cluster.kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** kubectl apply of the objects, as one List. */
export async function applyObjects(cluster: KubeCluster, objects: unknown[]): Promise<void> {
  const r = await exec(kubeBinary('kubectl'), [`--kubeconfig=${cluster.kubeconfig}`, 'apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}
