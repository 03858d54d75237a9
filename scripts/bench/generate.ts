// Synthetic clusters for the benchmark: N Services × M endpoints with a realistic mix (20%
// multi-port, 10% NodePort, 10% dual-stack), as the API server would return them.
type Obj = Record<string, unknown>;

export interface Generated {
  readonly services: Obj[];
  readonly slices: Obj[];
}

const ip4 = (base: number, k: number) => `10.${base + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
// two groups: one group holds only 16 bits, and 30,000 Services number 480,000 endpoints
const ip6 = (prefix: string, k: number) => `${prefix}${(k >> 16).toString(16)}:${(k & 0xffff).toString(16)}`;

export function serviceName(i: number) { return { namespace: `ns-${i % 50}`, name: `svc-${i}` }; }

export function service(i: number): Obj {
  const { namespace, name } = serviceName(i);
  const multi = i % 5 === 1;
  const nodePort = i % 10 === 2 && i < 27_000;
  const dual = i % 10 === 3;
  const ports = [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, ...(nodePort ? { nodePort: 30000 + Math.floor(i / 10) } : {}) }];
  if (multi) ports.push({ name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 });
  const clusterIPs = dual ? [ip4(96, i), ip6('fd00:10:96::', i)] : [ip4(96, i)];
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace, resourceVersion: '1' },
    spec: { type: nodePort ? 'NodePort' : 'ClusterIP', clusterIP: clusterIPs[0], clusterIPs, ports },
  };
}

/** The IPv4 slice of Service i with endpoints [0, m) (an extra endpoint index adds one). */
export function slice(i: number, m: number, extra = 0): Obj {
  const { namespace, name } = serviceName(i);
  const multi = i % 5 === 1;
  const endpoints = [];
  for (let j = 0; j < m + extra; j++) {
    const k = i * 16 + j;
    endpoints.push({ addresses: [ip4(128, k)], conditions: { ready: true, serving: true, terminating: false }, nodeName: j === 0 ? 'node-a' : 'node-b' });
  }
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${name}-v4`, namespace, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4', endpoints,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, ...(multi ? [{ name: 'https', port: 8443, protocol: 'TCP' }] : [])],
  };
}

export function slice6(i: number, m: number): Obj {
  const { namespace, name } = serviceName(i);
  const endpoints = [];
  for (let j = 0; j < m; j++) endpoints.push({ addresses: [ip6('fd00:10:244::', i * 16 + j)], conditions: { ready: true }, nodeName: j === 0 ? 'node-a' : 'node-b' });
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${name}-v6`, namespace, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv6', endpoints, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
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
