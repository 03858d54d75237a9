// One Service's share of the desired kernel state: its virtual servers with real servers, the
// addresses it binds, its set members and firewall entries. Computed per Service so that a
// change to one Service recomputes only its share.
import { cidrContains, ipFamily, type IpFamily } from '../net/address.js';
import { SvcFlags, type Protocol, type VirtualServer } from '../kernel/ipvs/types.js';
import { kubeSetName, type KubeSetId } from './kube-sets.js';
import type { OutFilterEntry } from './skeleton.js';
import type { EndpointSlice } from './endpoint-slice.js';
import { portEndpoints, select, type PortEndpoint } from './endpoints.js';
import type { DesiredVirtualServer, HealthCheck, VirtualServerRole } from './desired-state.js';
import { nodePortAddresses, ownAddresses, type NodeFacts } from './node.js';
import { serviceId, type Service } from './service.js';
import { exact } from './exact-array.js';
import { flat } from '../flat-string.js';
import { RealServerList } from './real-server-list.js';
import { resolveScheduler, type SchedulerChoice } from './scheduler.js';

/** The Node label topology-aware routing reads. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export interface ServiceStateConfig {
  readonly nodePortAddresses: readonly string[];
  /** the scheduler of Services that ask for none */
  readonly scheduler: string;
}

export interface ServiceState {
  readonly service: Service;
  readonly virtualServers: readonly DesiredVirtualServer[];
  readonly bind: readonly string[];
  /** set name, member, set name, member, ...: pairs without an object each (80,000 at 30,000 Services) */
  readonly members: readonly string[];
  readonly outFilter: ReadonlyArray<OutFilterEntry & { readonly family: IpFamily }>;
  readonly healthCheck: HealthCheck | undefined;
  readonly warnings: readonly string[];
}

/** Node-derived inputs shared by every Service (computed once per sync). */
export interface NodeView {
  readonly name: string;
  readonly own: ReadonlySet<string>;
  readonly nodePortIps: Readonly<Record<IpFamily, readonly string[]>>;
  readonly scheduler: string;
  /** the Node's topology.kubernetes.io/zone label, for topology-aware routing */
  readonly zone: string | undefined;
}

export function nodeView(node: NodeFacts, cfg: ServiceStateConfig): NodeView {
  return {
    name: node.name,
    own: ownAddresses(node),
    nodePortIps: { 4: nodePortAddresses(node, cfg.nodePortAddresses, 4), 6: nodePortAddresses(node, cfg.nodePortAddresses, 6) },
    scheduler: cfg.scheduler,
    zone: node.labels[ZONE_LABEL],
  };
}

export function serviceState(svc: Service, slices: readonly EndpointSlice[], node: NodeView): ServiceState {
  const id = serviceId(svc);
  const virtualServers: DesiredVirtualServer[] = [];
  const bind = new Set<string>();
  const members: string[] = [];
  const outFilter: Array<OutFilterEntry & { family: IpFamily }> = [];
  const warnings: string[] = [];
  const localAddresses = new Set<string>();
  const scheduler = resolveScheduler(svc.scheduler, node.scheduler);

  const add = (family: IpFamily, set: KubeSetId, member: string) => members.push(kubeSetName(set, family), flat(member));
  const bindUnlessOwn = (address: string, what: string) => {
    // An address the node already has (say an externalIP equal to a node IP) must not move to
    // kube-ipvs0: that breaks the node's own connectivity (#93175).
    if (node.own.has(address)) warnings.push(`${what} ${address} is an address of this node: not bound to kube-ipvs0`);
    else bind.add(address);
  };

  for (const clusterIP of svc.clusterIPs) {
    const family = ipFamily(clusterIP);
    for (const port of svc.ports) {
      const eps = portEndpoints(slices, port, family, node.name);
      const { cluster, local } = select(eps, { node: node.name, zone: node.zone });
      for (const e of eps) {
        if (!e.local) continue;
        add(family, 'loopBack', `${e.address},${port.protocol}:${e.port},${e.address}`);
        // the health check counts ready endpoints only: a node whose endpoints are all
        // terminating still serves them, but load balancers should stop sending to it (KEP-1669)
        if (e.ready) localAddresses.add(e.address);
      }
      // internalTrafficPolicy=Local: only local endpoints, none if there are none (Kubernetes' rule).
      const internal = svc.internalLocal ? local : cluster;
      // externalTrafficPolicy=Local: local endpoints; with none, cluster ones so that pods on
      // this node can still reach the Service (upstream #97081; external clients are not sent
      // here, the health check node port answers 503).
      const external = svc.externalLocal && local.length > 0 ? local : cluster;
      const terminating = eps.filter((e) => e.terminating).map((e) => ({ address: e.address, port: e.port }));
      // The virtual servers of one port that use the same endpoints (cluster IP, node ports,
      // external and load-balancer IPs) share one list of real servers.
      const shared = new Map<readonly PortEndpoint[], { rss: RealServerList; terminating: DesiredVirtualServer['terminating'] }>();
      const vs = (role: VirtualServerRole, address: string, p: number, use: readonly PortEndpoint[]) => {
        let s = shared.get(use);
        if (!s) {
          const rss = RealServerList.of(use);
          const used = new Set(use.map((e) => `${e.address}/${e.port}`));
          s = { rss, terminating: exact(terminating.filter((t) => !used.has(`${t.address}/${t.port}`))) };
          shared.set(use, s);
        }
        virtualServers.push({ vs: virtualServer(svc, scheduler, family, port.protocol, address, p), realServers: s.rss, service: id, portName: port.name, role, terminating: s.terminating });
      };
      const ipPort = (ip: string) => `${ip},${port.protocol}:${port.port}`;

      vs('cluster-ip', clusterIP, port.port, internal);
      add(family, 'clusterIp', ipPort(clusterIP));
      bindUnlessOwn(clusterIP, 'cluster IP');

      for (const ext of svc.externalIPs.filter((a) => ipFamily(a) === family)) {
        vs('external-ip', ext, port.port, external);
        add(family, svc.externalLocal ? 'externalIpLocal' : 'externalIp', ipPort(ext));
        bindUnlessOwn(ext, 'external IP');
      }

      const ranges = svc.sourceRanges.filter((r) => ipFamily(r.split('/')[0]!) === family);
      for (const lb of svc.loadBalancerIPs.filter((a) => ipFamily(a) === family)) {
        vs('load-balancer', lb, port.port, external);
        add(family, 'loadBalancer', ipPort(lb));
        if (svc.externalLocal) add(family, 'loadBalancerLocal', ipPort(lb));
        if (ranges.length > 0) {
          add(family, 'loadBalancerFw', ipPort(lb));
          for (const r of ranges.flatMap(ipsetNets)) add(family, 'loadBalancerSourceCidr', `${ipPort(lb)},${r}`);
          // Node-local clients reach a bound LB IP with source = LB IP: allow them when a range
          // covers a node address, else drop them in OUTPUT (#119656).
          if ([...node.own].some((a) => ipFamily(a) === family && ranges.some((r) => cidrContains(r, a)))) {
            add(family, 'loadBalancerSourceIp', `${ipPort(lb)},${lb}`);
          } else {
            outFilter.push({ family, address: lb, protocol: port.protocol, port: port.port });
          }
        }
        bindUnlessOwn(lb, 'load-balancer IP');
      }

      if (port.nodePort > 0) {
        const ips = node.nodePortIps[family];
        for (const ip of ips) vs('node-port', ip, port.nodePort, external);
        if (port.protocol === 'sctp') {
          for (const ip of ips) {
            add(family, 'nodePortSctp', `${ip},sctp:${port.nodePort}`);
            if (svc.externalLocal) add(family, 'nodePortLocalSctp', `${ip},sctp:${port.nodePort}`);
          }
        } else {
          const proto = port.protocol === 'tcp' ? 'Tcp' : 'Udp';
          add(family, `nodePort${proto}`, `${port.nodePort}`);
          if (svc.externalLocal) add(family, `nodePortLocal${proto}`, `${port.nodePort}`);
        }
      }
    }
    if (svc.healthCheckNodePort > 0) add(family, 'healthCheckNodePort', `${svc.healthCheckNodePort}`);
  }
  const healthCheck = svc.healthCheckNodePort > 0
    ? { service: id, nodePort: svc.healthCheckNodePort, localEndpoints: localAddresses.size }
    : undefined;
  return { service: svc, virtualServers: exact(virtualServers), bind: exact([...bind]), members: exact(members), outFilter: exact(outFilter), healthCheck, warnings: exact(warnings) };
}

function virtualServer(svc: Service, scheduler: SchedulerChoice, family: IpFamily, protocol: Protocol, address: string, port: number): VirtualServer {
  const sticky = svc.affinityTimeout !== undefined;
  return {
    family, protocol, address, port,
    scheduler: scheduler.name,
    flags: scheduler.flags | (sticky ? SvcFlags.PERSISTENT : 0),
    timeout: svc.affinityTimeout ?? 0,
    // per-client persistence: the whole address
    netmask: family === 4 ? 32 : 128,
  };
}

/** A CIDR as ipset members: a host net without its prefix (as ipset prints it), /0 as two halves (ipset refuses /0). */
function ipsetNets(cidr: string): string[] {
  const [net, len] = cidr.split('/') as [string, string];
  if (len === '0') return net.includes(':') ? ['::/1', '8000::/1'] : ['0.0.0.0/1', '128.0.0.0/1'];
  if ((net.includes(':') && len === '128') || (!net.includes(':') && len === '32')) return [net];
  return [cidr];
}


