// A packet's path through this node, worked out from the kernel's own state: the nat and filter
// rules it passes (PREROUTING or OUTPUT, INPUT or OUTPUT, POSTROUTING), the virtual server IPVS
// gives it to and the real servers that may take it, whether it is masqueraded and so which
// source address each backend sees, and, when nothing answers, why, in one sentence. Pure: the
// shell (read-view.ts) reads the kernel into a KernelView.
import { ipFamily } from '../net/address.js';
import { formatVirtualServer } from '../kernel/ipvs/ipvsadm-format.js';
import { kubeSetName } from '../model/kube-sets.js';
import { SvcFlags, rsKey, vsKey, type Protocol, type RealServerStatus, type VirtualServer } from '../kernel/ipvs/types.js';
import type { ObservedVirtualServer } from '../plan/observed-state.js';
import type { SetState } from '../kernel/ipset/types.js';
import type { Flow } from '../kernel/conntrack/conntrack.js';
import type { Route } from '../kernel/links/routes.js';
import type { PortStatus, ServiceStatus, StatusReport, VirtualServerStatus } from '../status/report.js';
import { walkChain, type RulePacket, type RuleStep, type SavedTable, type WalkResult } from './rules.js';

/** Where the packet starts. */
export interface PacketSource {
  /** "node": a socket of this host (its packets take OUTPUT); "remote": a pod or another host, arriving by an interface */
  readonly origin: 'node' | 'remote';
  /** the source address (for "node", the one the kernel picks for the destination) */
  readonly address: string;
  /** the interface a remote source's packets arrive by (the route back to it) */
  readonly inInterface: string | undefined;
  /** it arrives through a bridge port with bridge netfilter on */
  readonly bridged: boolean;
  /** how the user named it ("pod 10.244.1.11", "node", "outside address 203.0.113.9") */
  readonly label: string;
}

export interface Destination {
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
}

/** The kernel state the walk reads (one family). */
export interface KernelView {
  readonly virtualServers: readonly ObservedVirtualServer[];
  readonly sets: ReadonlyMap<string, SetState>;
  readonly nat: SavedTable;
  readonly filter: SavedTable;
  /** which of the addresses the packet uses (source, destination, real servers) are this host's */
  readonly localAddresses: ReadonlySet<string>;
  /** the kernel's route to each address the packet uses */
  readonly routes: ReadonlyMap<string, Route | undefined>;
  /** conntrack entries of flows to the destination */
  readonly flows: readonly Flow[];
}

export interface RealServerVerdict {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly activeConnections: number;
  readonly inactiveConnections: number;
  /** takes new connections ("may answer"), or weight 0 ("draining") */
  readonly state: 'may answer' | 'draining';
  readonly node?: string;
  /** the source address this backend sees */
  readonly seesSource: string;
  /** why the source is rewritten, or undefined when it is not */
  readonly masquerade: string | undefined;
}

export interface Explanation {
  readonly source: PacketSource;
  readonly destination: Destination;
  readonly service?: { readonly namespace: string; readonly name: string; readonly port: string; readonly role?: string };
  readonly steps: readonly PathStep[];
  readonly virtualServer?: {
    readonly key: string;
    readonly scheduler: string;
    readonly persistenceSeconds?: number;
    readonly ours: boolean | undefined;
  };
  readonly realServers: readonly RealServerVerdict[];
  /** a new connection gets an answer from one of `backends` */
  readonly answers: boolean;
  /** addresses of the real servers that may answer a new connection */
  readonly backends: readonly string[];
  /** one sentence: what happens, or why nothing answers */
  readonly verdict: string;
  readonly flows: readonly Flow[];
  /** rules this walk could not evaluate */
  readonly unknownRules: readonly string[];
}

export interface PathStep extends RuleStep {
  /** the netfilter hook: "nat PREROUTING", "IPVS"… */
  readonly hook: string;
}

/**
 * The path of a new connection from `source` to `dest`. `status` (the running proxy's report), when
 * given, names the Service and says why a virtual server has no real servers.
 */
export function explain(view: KernelView, source: PacketSource, dest: Destination, status?: StatusReport): Explanation {
  const steps: PathStep[] = [];
  const unknown: string[] = [];
  const ctx = { sets: view.sets, isLocal: (a: string) => view.localAddresses.has(a) };
  const packet: RulePacket = {
    protocol: dest.protocol, source: source.address, destination: dest.address, sourcePort: undefined, destinationPort: dest.port,
    inInterface: source.origin === 'remote' ? source.inInterface : undefined, bridged: source.bridged, ipvs: undefined,
  };
  const walk = (hook: string, table: SavedTable, tableName: string, chain: string, p: RulePacket, mark: number): WalkResult => {
    const r = walkChain(table, tableName, chain, p, ctx, mark);
    steps.push(...r.steps.map((s) => ({ ...s, hook })));
    unknown.push(...r.unknown);
    return r;
  };
  const key = destinationKey(dest);
  const observed = view.virtualServers.find((v) => vsKey(v.vs) === key);
  const named = status ? findPort(status, key) : undefined;
  const base = {
    source, destination: dest, flows: view.flows,
    ...(named ? { service: { namespace: named.service.namespace, name: named.service.name, port: named.port.name, role: named.vs.role } } : {}),
    ...(observed ? { virtualServer: describeVs(observed.vs, status ? named !== undefined : undefined) } : {}),
  };
  const done = (answers: boolean, verdict: string, realServers: RealServerVerdict[] = []): Explanation =>
    ({ ...base, steps, realServers, answers, backends: realServers.filter((r) => r.state === 'may answer').map((r) => r.address), verdict, unknownRules: unknown });

  // 1. nat: PREROUTING for a packet that arrives, OUTPUT for one of this host
  const natHook = source.origin === 'remote' ? 'PREROUTING' : 'OUTPUT';
  const nat = walk(`nat ${natHook}`, view.nat, 'nat', natHook, packet, 0);
  let mark = nat.mark;
  if (nat.verdict === 'DROP' || nat.verdict === 'REJECT') return done(false, `${nat.verdict === 'DROP' ? 'Dropped' : 'Rejected'} in nat ${natHook}.`);

  const local = view.localAddresses.has(dest.address);
  if (!local) {
    return done(false, `No answer from IPVS: ${dest.address} is not an address of this node (not bound on kube-ipvs0 nor any other link), so the kernel routes the packet on instead of delivering it to IPVS${observed ? `, although a virtual server ${key} exists` : ''}.`);
  }

  // 2. filter INPUT for an arriving packet (before IPVS takes it at LOCAL_IN)
  if (source.origin === 'remote') {
    const input = walk('filter INPUT', view.filter, 'filter', 'INPUT', packet, mark);
    if (input.verdict === 'DROP' || input.verdict === 'REJECT') return done(false, dropSentence('filter INPUT', input, source));
  }

  // 3. IPVS
  if (!observed) {
    const svcAddress = view.sets.get(kubeSetName('ipvsIps', ipFamily(dest.address)))?.members.has(dest.address) ?? false;
    return done(false, svcAddress
      ? `No answer: ${dest.address} is a Service address on kube-ipvs0 but no virtual server listens on ${dest.protocol.toUpperCase()} port ${dest.port}.`
      : `No virtual server for ${key}: IPVS does not take the packet; a socket of this host on that port may answer it.`);
  }
  const vs = observed.vs;
  const all = [...observed.realServers].sort((a, b) => (rsKey(a) < rsKey(b) ? -1 : 1));
  const candidates = all.filter((r) => r.weight > 0);
  steps.push({
    hook: 'IPVS', table: 'ipvs', chain: source.origin === 'remote' ? 'LOCAL_IN' : 'LOCAL_OUT', rule: formatVirtualServer(vs),
    effect: candidates.length > 0
      ? `scheduled (${vs.scheduler}${vs.flags & SvcFlags.PERSISTENT ? `, persistent ${vs.timeout}s` : ''}) to one of ${candidates.length} real server(s)`
      : 'no real server with weight > 0: dropped, the client gets ICMP port unreachable',
  });
  if (candidates.length === 0) {
    const why = named?.vs.why ?? (all.length > 0 ? 'every real server is draining at weight 0' : 'the virtual server has no real servers');
    const draining = all.length > 0 ? ` (${all.length} draining)` : '';
    return done(false, `No answer${dest.protocol === 'tcp' ? ' (connection refused)' : ''}: ${why}${draining}.`, all.map((r) => verdictOf(r, source, 'draining', undefined, named?.vs)));
  }

  // 4. filter OUTPUT for a packet of this host (after IPVS: -m ipvs sees its virtual server)
  if (source.origin === 'node') {
    const output = walk('filter OUTPUT', view.filter, 'filter', 'OUTPUT', { ...packet, ipvs: vs }, mark);
    if (output.verdict === 'DROP' || output.verdict === 'REJECT') return done(false, dropSentence('filter OUTPUT', output, source));
    mark = output.mark;
  }

  // 5. nat POSTROUTING, once per real server: the packet now goes to it (KUBE-LOOP-BACK depends on which)
  const realServers: RealServerVerdict[] = [];
  const firstSteps = steps.length;
  for (const r of all) {
    if (r.weight === 0) { realServers.push(verdictOf(r, source, 'draining', undefined, named?.vs)); continue; }
    const before = steps.length;
    const post = walk('nat POSTROUTING', view.nat, 'nat', 'POSTROUTING',
      { ...packet, destination: r.address, destinationPort: r.port, inInterface: undefined, ipvs: vs }, mark);
    // keep the POSTROUTING steps of the first real server only: they differ only for hairpin traffic
    const hairpin = post.steps.some((s) => s.effect.includes('LOOP-BACK'));
    if (before > firstSteps && !hairpin) steps.splice(before);
    let masquerade: string | undefined;
    if (post.verdict === 'MASQUERADE') masquerade = masqueradeReason([...nat.steps, ...post.steps], hairpin);
    const seen = masquerade ? view.routes.get(r.address)?.source ?? '(the address of the interface towards it)' : source.address;
    realServers.push(verdictOf(r, source, 'may answer', masquerade === undefined ? undefined : { reason: masquerade, seen }, named?.vs));
  }
  const answering = realServers.filter((r) => r.state === 'may answer');
  const sees = [...new Set(answering.map((r) => r.seesSource))];
  const verdict = `Answered by one of ${answering.length} real server(s) (${vs.scheduler}${vs.flags & SvcFlags.PERSISTENT ? ', the same one for this client while it keeps coming back' : ''}); `
    + (answering.every((r) => r.masquerade === undefined) ? `the backend sees the client's own address ${source.address}.`
      : answering.every((r) => r.masquerade !== undefined) ? `masqueraded (${answering[0]!.masquerade}): the backend sees ${sees.join(' or ')}.`
        : `masqueraded for some: ${answering.map((r) => `${r.address} sees ${r.seesSource}`).join(', ')}.`);
  return done(true, verdict, realServers);
}

function verdictOf(r: RealServerStatus, source: PacketSource, state: RealServerVerdict['state'], masq: { reason: string; seen: string } | undefined, named?: VirtualServerStatus): RealServerVerdict {
  const node = named?.realServers?.find((x) => x.address === r.address && x.port === r.port)?.node;
  return {
    address: r.address, port: r.port, weight: r.weight, activeConnections: r.activeConnections, inactiveConnections: r.inactiveConnections, state,
    ...(node ? { node } : {}), seesSource: masq?.seen ?? source.address, masquerade: masq?.reason,
  };
}

function describeVs(vs: VirtualServer, ours: boolean | undefined): NonNullable<Explanation['virtualServer']> {
  return {
    key: vsKey(vs), scheduler: vs.scheduler, ours,
    ...(vs.flags & SvcFlags.PERSISTENT ? { persistenceSeconds: vs.timeout } : {}),
  };
}

/** Why the packet is masqueraded, from the rule that set the mark (or the KUBE-LOOP-BACK match). */
function masqueradeReason(steps: readonly RuleStep[], hairpin: boolean): string {
  if (hairpin) return 'hairpin: the backend is the client itself (KUBE-LOOP-BACK)';
  const into = steps.find((s) => s.effect.startsWith('jump to KUBE-MARK-MASQ'));
  const rule = into?.rule ?? '';
  if (into?.chain === 'KUBE-LOAD-BALANCER') return 'load-balancer traffic with externalTrafficPolicy Cluster';
  if (rule.includes('KUBE-NODE-PORT') || rule.includes('KUBE-6-NODE-PORT')) return 'NodePort traffic with externalTrafficPolicy Cluster';
  if (rule.includes('EXTERNAL-IP')) return 'external IP traffic with externalTrafficPolicy Cluster';
  if (/CLUSTER-IP src,dst/.test(rule)) return "the node's own traffic, sent from the ClusterIP itself";
  if (/! -s |! -i /.test(rule)) return `the source is not a local pod's (${/! -[si] \S+/.exec(rule)![0]})`;
  if (rule.includes('CLUSTER-IP')) return '--masquerade-all';
  return into ? `marked by ${into.chain}` : 'marked for masquerade';
}

function dropSentence(hook: string, r: WalkResult, source: PacketSource): string {
  const last = r.steps[r.steps.length - 1];
  if (last?.chain === 'KUBE-SOURCE-RANGES-FIREWALL') return `Dropped in ${hook} by KUBE-SOURCE-RANGES-FIREWALL: ${source.address} is not in the load balancer's source ranges.`;
  if (last?.chain === 'KUBE-IPVS-OUT-FILTER') return `Dropped in ${hook} by KUBE-IPVS-OUT-FILTER: this node's address is not in the load balancer's source ranges.`;
  if (last?.chain === 'KUBE-IPVS-FILTER') return `Rejected in ${hook} by KUBE-IPVS-FILTER: the address is a Service address, but no Service has this port.`;
  return `${r.verdict === 'DROP' ? 'Dropped' : 'Rejected'} in ${hook}${last ? ` by ${last.chain}: ${last.rule}` : ''}.`;
}

function findPort(report: StatusReport, key: string): { service: ServiceStatus; port: PortStatus; vs: VirtualServerStatus } | undefined {
  for (const service of report.services) {
    for (const port of service.ports) {
      const vs = port.virtualServers.find((v) => v.key === key);
      if (vs) return { service, port, vs };
    }
  }
  return undefined;
}

/** The vsKey of the virtual server a destination would be: "TCP 10.96.0.10:80". */
export const destinationKey = (d: Destination) => vsKey({ ...d, family: ipFamily(d.address) });
