// The health gates a node passes before its move counts as done: the proxy answers /healthz, (for
// ipvs-proxy) its first sync adopted the kernel's state in place and every Service port has its
// virtual server, and an optional probe connects through the node. Each is asked again until it
// passes or the time is up; the judgements are pure functions of what was read.
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusReport } from '../status/report.js';
import type { ProxySide } from './node-steps.js';

/** A Service port that should have a virtual server: "NAMESPACE/NAME PORT/PROTOCOL". */
export type ServicePortKey = string;

export interface GateApi {
  /** the HTTP status of the proxy pod's /healthz (through the API server's pod proxy) */
  healthz(pod: string, port: number): Promise<number>;
  /** the ipvs-proxy container's log */
  podLog(pod: string): Promise<string>;
  /** `ipvs-proxy status --output json` run in the pod */
  proxyStatus(pod: string): Promise<StatusReport>;
  /** every Service port with a ClusterIP, from the API */
  servicePorts(): Promise<ServicePortKey[]>;
  /** a TCP connection to address:port; resolves to its time in ms */
  connect(address: string, port: number): Promise<number>;
}

export interface GateOptions {
  readonly healthzPort: number;
  /** the probe: a NodePort of the node, reached at its address */
  readonly probe?: { readonly service: string; readonly address: string; readonly port: number };
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

export interface FirstSync {
  readonly ok: boolean;
  readonly operations: number;
  readonly failed: number;
}

/** The first sync in a proxy's log (bunyan JSON lines): "synced", or "sync incomplete" when operations failed. */
export function firstSync(log: string): FirstSync | undefined {
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    let o: { msg?: unknown; operations?: unknown; failed?: unknown };
    try { o = JSON.parse(line) as typeof o; } catch { continue; }
    if (o.msg !== 'synced' && o.msg !== 'sync incomplete; retrying') continue;
    return { ok: o.msg === 'synced', operations: Number(o.operations ?? 0), failed: Number(o.failed ?? 0) };
  }
  return undefined;
}

/**
 * The most operations a first sync may apply and still count as adopting kube-proxy's state in
 * place: building it anew costs at least one per Service port (its virtual server), adopting it a
 * handful (the sysctls, iptables skeleton and sets that differ) however many Services there are.
 */
export function adoptionLimit(servicePorts: number): number {
  return Math.max(20, Math.floor(servicePorts / 2));
}

/** The Service ports with no cluster-ip virtual server in the proxy's report. */
export function missingVirtualServers(ports: readonly ServicePortKey[], report: StatusReport): ServicePortKey[] {
  const have = new Set<string>();
  for (const s of report.services) {
    for (const p of s.ports) {
      // the report names protocols as the kernel does (tcp), the API as Kubernetes does (TCP)
      if (p.virtualServers.some((vs) => vs.role === 'cluster-ip')) have.add(`${s.namespace}/${s.name} ${p.port}/${p.protocol.toUpperCase()}`);
    }
  }
  return ports.filter((k) => !have.has(k));
}

type Gate = { readonly name: string; readonly check: () => Promise<string> };

/**
 * Runs the gates of `side`'s pod until all pass (each told to passed, with what it saw, as it
 * passes) or the time is up (rejects with the gate that failed and why).
 */
export async function passGates(api: GateApi, side: ProxySide, pod: string, o: GateOptions, passed: (line: string) => void): Promise<void> {
  // the Service ports, listed once a round for the gates that need them
  let servicePorts: Promise<ServicePortKey[]> | undefined;
  const ports = () => (servicePorts ??= api.servicePorts());
  const gates: Gate[] = [{ name: '/healthz', check: async () => {
    const status = await api.healthz(pod, o.healthzPort);
    if (status !== 200) throw new Error(`answered ${status}`);
    return 'answered 200';
  } }];
  if (side === 'ipvs-proxy') {
    gates.push({ name: 'first sync', check: async () => {
      const [sync, keys] = await Promise.all([api.podLog(pod).then(firstSync), ports()]);
      if (!sync) throw new Error('not in the log yet');
      if (!sync.ok) throw new Error(`${sync.failed} of its ${sync.operations} operations failed`);
      const limit = adoptionLimit(keys.length);
      if (sync.operations > limit) throw new Error(`${sync.operations} operations for ${keys.length} Service ports (at most ${limit}): it rebuilt the node's state instead of adopting it`);
      return `${sync.operations} operations, none failed (${keys.length} Service ports): kube-proxy's state adopted`;
    } });
    gates.push({ name: 'virtual servers', check: async () => {
      const [report, keys] = await Promise.all([api.proxyStatus(pod), ports()]);
      const missing = missingVirtualServers(keys, report);
      if (missing.length) throw new Error(`${missing.length} of ${keys.length} Service ports have none: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
      return `every one of ${keys.length} Service ports has its virtual server`;
    } });
  }
  if (o.probe) {
    const { service, address, port } = o.probe;
    gates.push({ name: `probe ${service}`, check: async () => `connected to ${address}:${port} in ${(await api.connect(address, port)).toFixed(0)} ms` });
  }
  const end = Date.now() + o.timeoutMs;
  let next = 0;
  for (;;) {
    let failure: string | undefined;
    servicePorts = undefined;
    for (; next < gates.length; next++) {
      const g = gates[next]!;
      try { passed(`${g.name}: ${await g.check()}`); } catch (e) { failure = `${g.name}: ${(e as Error).message}`; break; }
    }
    if (!failure) return;
    if (Date.now() >= end || o.signal?.aborted) throw new Error(`${failure} (still, after ${Math.round(o.timeoutMs / 1000)} s)`);
    await sleep(o.intervalMs ?? 2000);
  }
}
