// What a test writes to a real API server in place of kubectl and the kubelet: the project's
// manifests (server-side apply), Nodes, Services, and Pods whose status the test sets (ready, not
// ready) as a kubelet would, so the real EndpointSlice controller makes their EndpointSlices.
import { readFileSync, readdirSync } from 'node:fs';
import YAML from 'yaml';
import type { ControlPlane } from './control-plane.js';
import { objectPath } from '../../lib/migrate/objects.js';

export type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

/** The objects of manifests/*.yaml, in the kustomization's namespace (kube-system) where namespaced. */
export function manifestObjects(dir = 'manifests'): Obj[] {
  const files = (YAML.parse(readFileSync(`${dir}/kustomization.yaml`, 'utf8')) as { resources: string[] }).resources;
  for (const f of readdirSync(dir)) if (f.endsWith('.yaml') && f !== 'kustomization.yaml' && !files.includes(f)) throw new Error(`${f} is not in the kustomization`);
  return files.flatMap((f) => YAML.parseAllDocuments(readFileSync(`${dir}/${f}`, 'utf8')).map((d) => d.toJS() as Obj));
}

/** Server-side apply (as kubectl apply --server-side), or only its dry run. */
export async function serverSideApply(cp: ControlPlane, o: Obj, dryRun = false): Promise<Obj> {
  return cp.must('PATCH', `${objectPath(o)}?fieldManager=ipvs-proxy-tests&force=true${dryRun ? '&dryRun=All' : ''}`, o, 'application/apply-patch+yaml');
}

export async function createNode(cp: ControlPlane, name: string, internalIp: string, labels: Record<string, string> = {}): Promise<void> {
  await cp.must('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } });
  await cp.must('PATCH', `/api/v1/nodes/${name}/status`, { status: { addresses: [{ type: 'InternalIP', address: internalIp }, { type: 'Hostname', address: name }] } }, 'application/merge-patch+json');
}

export async function createService(cp: ControlPlane, ns: string, name: string, spec: Record<string, unknown>): Promise<Obj> {
  return cp.must('POST', `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec });
}

export async function createNamespace(cp: ControlPlane, name: string): Promise<void> {
  const r = await cp.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (r.status !== 201 && r.status !== 409) throw new Error(`namespace ${name}: HTTP ${r.status}`);
}

/** A Pod on a node, then its status as the kubelet would set it once it runs. */
export async function createPod(cp: ControlPlane, ns: string, name: string, o: { node: string; ip: string; labels: Record<string, string>; ready: boolean; port?: number }): Promise<void> {
  await cp.must('POST', `/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: o.labels },
    spec: { nodeName: o.node, containers: [{ name: 'c', image: 'agent', ports: [{ containerPort: o.port ?? 9000, protocol: 'TCP' }] }] } });
  await setPodReady(cp, ns, name, o.ip, o.ready);
}

export async function setPodReady(cp: ControlPlane, ns: string, name: string, ip: string, ready: boolean): Promise<void> {
  await cp.must('PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }],
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }, { type: 'ContainersReady', status: ready ? 'True' : 'False' }] } }, 'application/merge-patch+json');
}

/** Delete with the default grace period: without a kubelet to confirm, the pod stays Terminating. */
export async function deletePod(cp: ControlPlane, ns: string, name: string): Promise<void> {
  await cp.must('DELETE', `/api/v1/namespaces/${ns}/pods/${name}`);
}

/** The endpoints of a Service's EndpointSlices, as the controller wrote them. */
export async function endpointsOf(cp: ControlPlane, ns: string, service: string): Promise<Array<{ ip: string; ready?: boolean; serving?: boolean; terminating?: boolean }>> {
  const list = await cp.must<{ items: Array<{ endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }> }> }>(
    'GET', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${service}`)}`);
  return list.items.flatMap((s) => (s.endpoints ?? []).map((e) => ({ ip: e.addresses[0]!, ...e.conditions }))).sort((a, b) => a.ip.localeCompare(b.ip));
}
