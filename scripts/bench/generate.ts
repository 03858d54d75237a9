// Synthetic clusters for the benchmark: N Services × M endpoints with a realistic mix (20%
// multi-port, 10% NodePort, 10% dual-stack), as the API server returns them: with uids,
// timestamps, managedFields, selectors, ipFamilies, app labels, owner references and, per
// endpoint, a targetRef, which the proxy must read and drop.
type Obj = Record<string, unknown>;

export interface Generated {
  readonly services: Obj[];
  readonly slices: Obj[];
}

const ip4 = (base: number, k: number) => `10.${base + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
// two groups: one group holds only 16 bits, and 30,000 Services number 480,000 endpoints
const ip6 = (prefix: string, k: number) => `${prefix}${(k >> 16).toString(16)}:${(k & 0xffff).toString(16)}`;

export function serviceName(i: number) { return { namespace: `ns-${i % 50}`, name: `svc-${i}` }; }

const CREATED = '2026-11-01T08:00:00Z';
/** a uid per object kind and number, in the API server's format */
const uid = (kind: number, k: number) => `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${k.toString(16).padStart(12, '0')}`;
/** what server-side apply records of a writer: present on every object a list or watch returns */
const managedFields = (manager: string, fields: Obj) => [{ manager, operation: 'Update', apiVersion: 'v1', time: CREATED, fieldsType: 'FieldsV1', fieldsV1: fields }];

export function service(i: number): Obj {
  const { namespace, name } = serviceName(i);
  const multi = i % 5 === 1;
  const nodePort = i % 10 === 2 && i < 27_000;
  const dual = i % 10 === 3;
  const ports = [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, ...(nodePort ? { nodePort: 30000 + Math.floor(i / 10) } : {}) }];
  if (multi) ports.push({ name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 });
  const clusterIPs = dual ? [ip4(96, i), ip6('fd00:10:96::', i)] : [ip4(96, i)];
  const labels = { app: name, 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'Helm' };
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace, uid: uid(1, i), resourceVersion: '1', creationTimestamp: CREATED, labels,
      annotations: { 'meta.helm.sh/release-name': name, 'meta.helm.sh/release-namespace': namespace },
      managedFields: managedFields('helm', { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:ports': {}, 'f:selector': {}, 'f:type': {} } }) },
    spec: { type: nodePort ? 'NodePort' : 'ClusterIP', clusterIP: clusterIPs[0], clusterIPs, ports, selector: { app: name }, sessionAffinity: 'None',
      ipFamilies: dual ? ['IPv4', 'IPv6'] : ['IPv4'], ipFamilyPolicy: dual ? 'PreferDualStack' : 'SingleStack', internalTrafficPolicy: 'Cluster',
      ...(nodePort ? { externalTrafficPolicy: 'Cluster' } : {}) },
    status: { loadBalancer: {} },
  };
}

/** The IPv4 slice of Service i with endpoints [0, m) (an extra endpoint index adds one). */
export function slice(i: number, m: number, extra = 0): Obj {
  const { namespace, name } = serviceName(i);
  const multi = i % 5 === 1;
  const endpoints = [];
  for (let j = 0; j < m + extra; j++) {
    const k = i * 16 + j;
    endpoints.push({ addresses: [ip4(128, k)], conditions: { ready: true, serving: true, terminating: false }, nodeName: j === 0 ? 'node-a' : 'node-b', targetRef: pod(namespace, name, k) });
  }
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: sliceMeta(i, `${name}-v4`, namespace, name, 2),
    addressType: 'IPv4', endpoints,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, ...(multi ? [{ name: 'https', port: 8443, protocol: 'TCP' }] : [])],
  };
}

export function slice6(i: number, m: number): Obj {
  const { namespace, name } = serviceName(i);
  const endpoints = [];
  for (let j = 0; j < m; j++) endpoints.push({ addresses: [ip6('fd00:10:244::', i * 16 + j)], conditions: { ready: true }, nodeName: j === 0 ? 'node-a' : 'node-b', targetRef: pod(namespace, name, i * 16 + j) });
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: sliceMeta(i, `${name}-v6`, namespace, name, 3),
    addressType: 'IPv6', endpoints, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

const pod = (namespace: string, service: string, k: number) => ({ kind: 'Pod', namespace, name: `${service}-7d9f8b6c5-${k.toString(36).padStart(5, 'x')}`, uid: uid(4, k) });

function sliceMeta(i: number, sliceName: string, namespace: string, service: string, kind: number): Obj {
  return {
    name: sliceName, generateName: `${service}-`, namespace, uid: uid(kind, i), resourceVersion: '1', creationTimestamp: CREATED,
    labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', app: service, 'app.kubernetes.io/name': service },
    // as the controller sets it: when the change it publishes happened
    annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: service, uid: uid(1, i), controller: true, blockOwnerDeletion: true }],
    managedFields: managedFields('kube-controller-manager', { 'f:addressType': {}, 'f:endpoints': {}, 'f:metadata': { 'f:labels': {}, 'f:ownerReferences': {} }, 'f:ports': {} }),
  };
}

export function generate(n: number, m: number): Generated {
  const services: Obj[] = [];
  const slices: Obj[] = [];
  for (let i = 0; i < n; i++) {
    services.push(service(i));
    slices.push(slice(i, m));
    if (i % 10 === 3) slices.push(slice6(i, m));
  }
  return { services, slices };
}

/** Address of the ClusterIP and the extra endpoint used by the incremental changes. */
export function changeTarget(i: number, m: number) {
  return { vip: ip4(96, i), endpoint: ip4(128, i * 16 + m) };
}
