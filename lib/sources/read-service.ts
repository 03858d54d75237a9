// A Service object from the API server or a file, read into the model's Service once, when it
// arrives: validated, addresses canonical, defaults applied, or the reason it is skipped
// (headless, ExternalName, another proxy's, malformed). What does not stop the Service (a bad
// annotation, an address of a family the Service lacks) is kept as a warning.
import ipaddr from 'ipaddr.js';
import { canonicalIp, ipFamily } from '../net/address.js';
import type { Protocol } from '../kernel/ipvs/types.js';
import type { Problem } from '../model/desired-state.js';
import { exact } from '../model/exact-array.js';
import type { ServiceObject } from '../model/objects.js';
import { schedulerRequest } from '../model/scheduler.js';
import { HEADLESS_LABEL, PROXY_NAME, SERVICE_PROXY_NAME_LABEL, type Service, type ServicePort } from '../model/service.js';
import { Malformed, list, objectName, optInt, optRecord, optString, record, str, stringMap } from './raw.js';

export const DEFAULT_AFFINITY_TIMEOUT = 10800;
const PROTOCOLS: Readonly<Record<string, Protocol>> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
const NONE: readonly Problem[] = Object.freeze([]);

type ServiceParse =
  | { readonly ok: true; readonly service: Service; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** One Service object: the Service, or the problem that skips it. `intern` shares repeated strings. */
export function readService(obj: unknown, intern: (s: string) => string = (s) => s): ServiceObject {
  const { namespace, name } = objectName(obj);
  const problem = (reason: string, skipped: boolean): Problem => ({ kind: 'Service', namespace, name, reason, skipped });
  let r: ServiceParse;
  try {
    r = parse(obj, intern);
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    r = { ok: false, reason: `malformed: ${e.message}` };
  }
  if (!r.ok) return { namespace: intern(namespace), name, service: undefined, problems: [problem(r.reason, true)] };
  return { namespace: r.service.namespace, name, service: r.service, problems: r.warnings.length ? r.warnings.map((w) => problem(w, false)) : NONE };
}

function parse(obj: unknown, intern: (s: string) => string): ServiceParse {
  const o = record(obj, 'Service');
  const meta = record(o.metadata, 'metadata');
  const name = str(meta.name, 'metadata.name');
  const namespace = intern(optString(meta.namespace, 'metadata.namespace') || 'default');
  const labels = stringMap(meta.labels, 'metadata.labels');
  const annotations = stringMap(meta.annotations, 'metadata.annotations');
  const spec = record(o.spec, 'spec');

  const proxyName = labels[SERVICE_PROXY_NAME_LABEL];
  if (proxyName !== undefined && proxyName !== PROXY_NAME) {
    return { ok: false, reason: `handled by another proxy (${SERVICE_PROXY_NAME_LABEL}=${proxyName})` };
  }
  const type = optString(spec.type, 'spec.type') ?? 'ClusterIP';
  if (type === 'ExternalName') return { ok: false, reason: 'ExternalName service (DNS only, nothing to proxy)' };
  if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer') throw new Malformed(`spec.type: unknown type "${type}"`);

  const clusterIP = optString(spec.clusterIP, 'spec.clusterIP');
  const rawIPs = list(spec.clusterIPs, 'spec.clusterIPs').map((v, i) => str(v, `spec.clusterIPs[${i}]`));
  if (clusterIP === 'None' || rawIPs[0] === 'None') return { ok: false, reason: 'headless service (clusterIP None)' };
  if (labels[HEADLESS_LABEL] !== undefined) return { ok: false, reason: `headless service (${HEADLESS_LABEL} label)` };
  const ipTexts = rawIPs.length > 0 ? rawIPs : clusterIP ? [clusterIP] : [];
  if (ipTexts.length === 0) return { ok: false, reason: 'no cluster IP allocated yet' };
  if (ipTexts.length > 2) throw new Malformed('spec.clusterIPs: more than two addresses');
  const clusterIPs = ipTexts.map((t, i) => ip(t, `spec.clusterIPs[${i}]`));
  if (clusterIPs.length === 2 && ipFamily(clusterIPs[0]!) === ipFamily(clusterIPs[1]!)) throw new Malformed('spec.clusterIPs: two addresses of one family');
  const families = new Set(clusterIPs.map(ipFamily));

  const nodePorts = type !== 'ClusterIP';
  const ports = list(spec.ports, 'spec.ports').map((p, i) => servicePort(p, `spec.ports[${i}]`, nodePorts));
  if (ports.length === 0) throw new Malformed('spec.ports: no ports');
  const seen = new Set<string>();
  for (const p of ports) {
    for (const key of [`${p.protocol}/${p.port}`, `name ${p.name}`]) {
      if (seen.has(key)) throw new Malformed(`spec.ports: duplicate ${key.startsWith('name') ? `port name "${p.name}"` : `${p.protocol} port ${p.port}`}`);
      seen.add(key);
    }
  }

  const warnings: string[] = [];
  const ofServiceFamily = (addrs: string[], what: string) => addrs.filter((a) => {
    if (families.has(ipFamily(a))) return true;
    warnings.push(`${what} ${a} ignored: the service has no IPv${ipFamily(a)} cluster IP`);
    return false;
  });
  const externalIPs = ofServiceFamily(list(spec.externalIPs, 'spec.externalIPs').map((v, i) => ip(str(v, `spec.externalIPs[${i}]`), `spec.externalIPs[${i}]`)), 'externalIP');
  const status = optRecord(o.status, 'status');
  const lb = optRecord(status.loadBalancer, 'status.loadBalancer');
  const lbIPs: string[] = [];
  if (type === 'LoadBalancer') {
    list(lb.ingress, 'status.loadBalancer.ingress').forEach((v, i) => {
      const path = `status.loadBalancer.ingress[${i}]`;
      const ing = record(v, path);
      const text = optString(ing.ip, `${path}.ip`);
      if (!text) return; // hostname-only ingress: nothing to program
      const addr = ip(text, `${path}.ip`);
      // ipMode Proxy: the load balancer terminates the traffic itself; binding the IP locally
      // would short-circuit node-local clients past it (KEP-1860).
      if (optString(ing.ipMode, `${path}.ipMode`) === 'Proxy') return;
      lbIPs.push(addr);
    });
  }
  const loadBalancerIPs = ofServiceFamily(lbIPs, 'load-balancer IP');
  const sourceRanges = list(spec.loadBalancerSourceRanges, 'spec.loadBalancerSourceRanges')
    .map((v, i) => cidr(str(v, `spec.loadBalancerSourceRanges[${i}]`), `spec.loadBalancerSourceRanges[${i}]`));

  const affinity = optString(spec.sessionAffinity, 'spec.sessionAffinity') ?? 'None';
  if (affinity !== 'None' && affinity !== 'ClientIP') throw new Malformed(`spec.sessionAffinity: unknown value "${affinity}"`);
  let affinityTimeout: number | undefined;
  if (affinity === 'ClientIP') {
    const cfg = optRecord(optRecord(spec.sessionAffinityConfig, 'spec.sessionAffinityConfig').clientIP, 'spec.sessionAffinityConfig.clientIP');
    affinityTimeout = optInt(cfg.timeoutSeconds, 'spec.sessionAffinityConfig.clientIP.timeoutSeconds', 1, 86400) ?? DEFAULT_AFFINITY_TIMEOUT;
  }

  const etp = optString(spec.externalTrafficPolicy, 'spec.externalTrafficPolicy') ?? 'Cluster';
  const itp = optString(spec.internalTrafficPolicy, 'spec.internalTrafficPolicy') ?? 'Cluster';
  for (const [field, v] of [['externalTrafficPolicy', etp], ['internalTrafficPolicy', itp]] as const) {
    if (v !== 'Cluster' && v !== 'Local') throw new Malformed(`spec.${field}: unknown value "${v}"`);
  }
  // As in Kubernetes: the external policy only applies to Services reachable from outside.
  const externallyAccessible = type !== 'ClusterIP' || externalIPs.length > 0;
  const externalLocal = etp === 'Local' && externallyAccessible;
  const hcnp = optInt(spec.healthCheckNodePort, 'spec.healthCheckNodePort', 0, 65535) ?? 0;

  const scheduler = schedulerRequest(annotations, warnings);
  return {
    ok: true,
    warnings,
    service: {
      namespace, name, type, clusterIPs: exact(clusterIPs), ports: exact(ports), externalIPs: exact(externalIPs), loadBalancerIPs: exact(loadBalancerIPs), sourceRanges: exact(sourceRanges), affinityTimeout,
      externalLocal, internalLocal: itp === 'Local',
      healthCheckNodePort: type === 'LoadBalancer' && externalLocal ? hcnp : 0,
      scheduler,
    },
  };
}

function servicePort(v: unknown, path: string, nodePorts: boolean): ServicePort {
  const p = record(v, path);
  const protoText = optString(p.protocol, `${path}.protocol`) ?? 'TCP';
  const protocol = PROTOCOLS[protoText];
  if (!protocol) throw new Malformed(`${path}.protocol: unknown protocol "${protoText}"`);
  const port = optInt(p.port, `${path}.port`, 1, 65535);
  if (port === undefined) throw new Malformed(`${path}.port: missing`);
  const nodePort = nodePorts ? optInt(p.nodePort, `${path}.nodePort`, 0, 65535) ?? 0 : 0;
  let targetPort: number | string = port;
  if (typeof p.targetPort === 'string' && p.targetPort !== '') {
    targetPort = /^\d+$/.test(p.targetPort) ? optInt(Number(p.targetPort), `${path}.targetPort`, 1, 65535)! : p.targetPort;
  } else if (p.targetPort !== undefined && p.targetPort !== null) {
    targetPort = optInt(p.targetPort, `${path}.targetPort`, 1, 65535)!;
  }
  return { name: optString(p.name, `${path}.name`) ?? '', protocol, port, nodePort, targetPort };
}

function ip(text: string, path: string): string {
  const c = canonicalIp(text);
  if (!c) throw new Malformed(`${path}: "${text}" is not an IP address`);
  return c;
}

function cidr(text: string, path: string): string {
  const t = text.trim();
  if (!t.includes('/') || !ipaddr.isValidCIDR(t) || !canonicalIp(t.split('/')[0]!)) throw new Malformed(`${path}: "${text}" is not a CIDR`);
  const [addr, len] = ipaddr.parseCIDR(t);
  // ipset stores the network address; keep the text it prints back.
  const net = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(t) : ipaddr.IPv6.networkAddressFromCIDR(t);
  return `${net.toString()}/${len}`;
}

