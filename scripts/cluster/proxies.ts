// The service proxy under test, deployed as its users deploy it: ipvs-proxy by `kubectl apply -k`
// of an overlay of manifests/ that sets only the image and the control-plane endpoint, kube-proxy
// v1.26.1 (the anchor) as kubeadm deploys it (scripts/cluster/kube-proxy.yaml).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ExecResult } from '../../spec/helpers/exec.js';

const REPO = resolve(import.meta.dirname, '../..');
export type ProxyName = 'ipvs-proxy' | 'kube-proxy';
export const PROXIES: readonly ProxyName[] = ['ipvs-proxy', 'kube-proxy'];
export const IPVS_PROXY_IMAGE = 'localhost/ipvs-proxy:test';

export type Kubectl = (...args: string[]) => Promise<ExecResult>;

async function must(kubectl: Kubectl, ...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** The overlay a user writes: the image, and the API server's address as nodes reach it. */
export function ipvsProxyOverlay(dir: string, endpoint: string, image = IPVS_PROXY_IMAGE): string {
  mkdirSync(dir, { recursive: true });
  const [name, tag] = [image.slice(0, image.lastIndexOf(':')), image.slice(image.lastIndexOf(':') + 1)];
  writeFileSync(join(dir, 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ${relative(dir, join(REPO, 'manifests'))}
images:
- name: ghcr.io/ipvs-proxy/ipvs-proxy
  newName: ${name}
  newTag: ${tag}
patches:
- target: {kind: ConfigMap, name: ipvs-proxy}
  patch: |-
    - op: replace
      path: /data/apiServer
      value: ${endpoint}
`);
  return dir;
}

/** Deploy the proxy; returns its DaemonSet's name. */
export async function deployProxy(kubectl: Kubectl, proxy: ProxyName, o: { endpoint: string; workDir: string }): Promise<string> {
  if (proxy === 'ipvs-proxy') {
    await must(kubectl, 'apply', '-k', ipvsProxyOverlay(join(o.workDir, 'ipvs-proxy-overlay'), o.endpoint));
    return 'ipvs-proxy';
  }
  const manifest = join(o.workDir, 'kube-proxy.yaml');
  writeFileSync(manifest, readFileSync(join(REPO, 'scripts/cluster/kube-proxy.yaml'), 'utf8').replaceAll('CONTROL_PLANE_ENDPOINT', o.endpoint));
  await must(kubectl, 'apply', '-f', manifest);
  return 'kube-proxy';
}

interface DaemonSetStatus { metadata: { generation: number }; status?: { observedGeneration?: number; desiredNumberScheduled?: number; numberReady?: number; updatedNumberScheduled?: number; numberAvailable?: number } }

/** Whether every node runs a ready pod of the DaemonSet's current template. */
export function daemonSetRolledOut(ds: DaemonSetStatus, nodes: number): boolean {
  const s = ds.status ?? {};
  return (s.observedGeneration ?? 0) >= ds.metadata.generation && s.desiredNumberScheduled === nodes
    && s.numberReady === nodes && s.updatedNumberScheduled === nodes && s.numberAvailable === nodes;
}
