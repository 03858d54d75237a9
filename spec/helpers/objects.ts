// Builders for Service and EndpointSlice objects as the API server returns them, and a model run
// with a default node, for the model, plan and sync tests.
import { buildDesiredState } from '../../lib/model/build.js';
import type { ModelConfig } from '../../lib/model/config.js';
import { readSnapshot } from '../../lib/sources/read-objects.js';
import type { DesiredState } from '../../lib/model/desired-state.js';
import type { NodeFacts } from '../../lib/model/node.js';
import { formatIpvsadmSave } from '../../lib/kernel/ipvs/ipvsadm-format.js';

type Obj = Record<string, unknown>;

export interface SvcOpts {
  ns?: string;
  type?: string;
  clusterIPs?: string[];
  ports?: Obj[];
  spec?: Obj;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  lbIPs?: Array<string | Obj>;
}

export function svc(name: string, o: SvcOpts = {}): Obj {
  const clusterIPs = o.clusterIPs ?? ['10.96.0.10'];
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: o.ns ?? 'default', ...(o.labels ? { labels: o.labels } : {}), ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { type: o.type ?? 'ClusterIP', clusterIP: clusterIPs[0], clusterIPs, ports: o.ports ?? [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...o.spec },
    ...(o.lbIPs ? { status: { loadBalancer: { ingress: o.lbIPs.map((i) => (typeof i === 'string' ? { ip: i } : i)) } } } : {}),
  };
}

export interface Ep {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  /** hints.forZones */
  zones?: string[];
  /** hints.forNodes */
  forNodes?: string[];
}

export function slice(name: string, service: string, eps: Array<Ep | string>, o: { ns?: string; ports?: Obj[]; type?: string; labels?: Record<string, string> } = {}): Obj {
  const endpoints = eps.map((e) => (typeof e === 'string' ? { ip: e } : e)).map((e) => ({
    addresses: [e.ip],
    conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
    ...(e.node ? { nodeName: e.node } : {}),
    ...(e.zones || e.forNodes ? { hints: { ...(e.zones ? { forZones: e.zones.map((name) => ({ name })) } : {}), ...(e.forNodes ? { forNodes: e.forNodes.map((name) => ({ name })) } : {}) } } : {}),
  }));
  const first = eps[0] === undefined ? '' : typeof eps[0] === 'string' ? eps[0] : eps[0].ip;
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name, namespace: o.ns ?? 'default', labels: { 'kubernetes.io/service-name': service, ...o.labels } },
    addressType: o.type ?? (first.includes(':') ? 'IPv6' : 'IPv4'),
    endpoints,
    ports: o.ports ?? [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

export const NODE: NodeFacts = {
  name: 'node-a',
  labels: {},
  addresses: [
    { address: '127.0.0.1', family: 4, prefixLength: 8, link: 'lo' },
    { address: '::1', family: 6, prefixLength: 128, link: 'lo' },
    { address: '192.168.1.10', family: 4, prefixLength: 24, link: 'eth0' },
    { address: '172.16.0.10', family: 4, prefixLength: 16, link: 'eth1' },
    { address: 'fd00:1::10', family: 6, prefixLength: 64, link: 'eth0' },
    { address: 'fe80::1', family: 6, prefixLength: 64, link: 'eth0' },
    { address: '10.96.99.99', family: 4, prefixLength: 32, link: 'kube-ipvs0' },
  ],
  primaryAddresses: ['192.168.1.10', 'fd00:1::10'],
};

export const CONFIG: ModelConfig = {
  scheduler: 'rr', families: [4, 6], nodePortAddresses: [], masqueradeAll: false,
  clusterCidrs: ['10.244.0.0/16', 'fd00:10:244::/56'], masqueradeBit: 14,
};

export function model(objects: Obj[], over: { node?: Partial<NodeFacts>; config?: Partial<ModelConfig> } = {}): DesiredState {
  return buildDesiredState(
    readSnapshot({ services: objects.filter((o) => o.kind === 'Service'), endpointSlices: objects.filter((o) => o.kind === 'EndpointSlice') }),
    { ...NODE, ...over.node }, { ...CONFIG, ...over.config },
  );
}

/** The desired table as ipvsadm -Sn lines. */
export const ipvsadm = (d: DesiredState) => formatIpvsadmSave(d.virtualServers).trim().split('\n').filter(Boolean);
/** Lines of ipvsadm text that mention the address (a VS and its real servers). */
export const linesFor = (d: DesiredState, vip: string) => {
  const out: string[] = [];
  let keep = false;
  for (const l of ipvsadm(d)) {
    if (l.startsWith('-A ')) keep = l.includes(` ${vip} `);
    if (keep) out.push(l);
  }
  return out;
};
export const members = (d: DesiredState, set: string) => [...(d.sets.find((s) => s.name === set)?.members ?? [])].sort();
export const problems = (d: DesiredState) => d.problems.map((p) => `${p.skipped ? 'skipped' : 'warning'} ${p.kind} ${p.namespace}/${p.name}: ${p.reason}`);
