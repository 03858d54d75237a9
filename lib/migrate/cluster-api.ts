// The migration's moves and gates against the API server: a node's label and the two DaemonSets'
// pods on it, a pod's /healthz through the API server's pod proxy, its log, `ipvs-proxy status`
// run in it (exec, as kubectl exec), the Services' ports, and a TCP probe from here.
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { apiGet, apiRequest } from '../sources/api-request.js';
import type { KubeConfig } from '../sources/kube-client.js';
import { isRecord, list, record, str, type Raw } from '../sources/raw.js';
import type { StatusReport } from '../status/report.js';
import { MIGRATION_LABEL } from './facts.js';
import type { ServicePortKey } from './gates.js';
import type { MoveApi } from './move.js';
import type { NodeView, PodPhase } from './node-steps.js';

const TIMEOUT_MS = 15_000;
const NAMESPACE = 'kube-system';

export interface ClusterApiOptions {
  readonly kubeConfig: KubeConfig;
  /** the operator's kubeconfig file, for exec (client-node's own WebSocket client) */
  readonly kubeconfigPath: string;
  readonly kubeProxy: string;
  readonly ipvsProxy: string;
  /** the container `ipvs-proxy status` runs in */
  readonly ipvsProxyContainer: string;
}

export class ClusterApi implements MoveApi {
  /** client-node's exec client, made at the first exec */
  private exec_?: Promise<import('@kubernetes/client-node').Exec>;

  constructor(private readonly o: ClusterApiOptions) {}

  async view(node: string): Promise<NodeView> {
    const [n, pods] = await Promise.all([
      this.json(`/api/v1/nodes/${node}`),
      this.json(`/api/v1/namespaces/${NAMESPACE}/pods`, { fieldSelector: `spec.nodeName=${node}` }),
    ]);
    const labels = record(n.metadata, 'metadata').labels;
    const label = isRecord(labels) && typeof labels[MIGRATION_LABEL] === 'string' ? labels[MIGRATION_LABEL] : undefined;
    const items = list(pods.items, 'items').map((p) => record(p, 'pod'));
    return { name: node, ...(label === undefined ? {} : { label }), kubeProxy: podOf(items, this.o.kubeProxy), ipvsProxy: podOf(items, this.o.ipvsProxy) };
  }

  async setLabel(node: string, value: string | undefined): Promise<void> {
    const r = await apiRequest(this.o.kubeConfig, 'PATCH', `/api/v1/nodes/${node}`, {
      body: { metadata: { labels: { [MIGRATION_LABEL]: value ?? null } } }, contentType: 'application/merge-patch+json', timeoutMs: TIMEOUT_MS });
    if (r.status !== 200) throw new Error(`label node ${node}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  }

  async healthz(pod: string, port: number): Promise<number> {
    return (await apiRequest(this.o.kubeConfig, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods/${pod}:${port}/proxy/healthz`, { timeoutMs: TIMEOUT_MS })).status;
  }

  async podLog(pod: string): Promise<string> {
    const r = await apiRequest(this.o.kubeConfig, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/log`, { timeoutMs: TIMEOUT_MS });
    if (r.status !== 200) throw new Error(`the log of ${pod}: HTTP ${r.status}`);
    return r.text;
  }

  async proxyStatus(pod: string): Promise<StatusReport> {
    const out = await this.exec(pod, ['ipvs-proxy', 'status', '--output', 'json']);
    return JSON.parse(out) as StatusReport;
  }

  async servicePorts(): Promise<ServicePortKey[]> {
    const services = list((await this.json('/api/v1/services')).items, 'items');
    const keys: ServicePortKey[] = [];
    for (const s of services) {
      const o = record(s, 'service');
      const meta = record(o.metadata, 'metadata');
      const spec: Raw = isRecord(o.spec) ? o.spec : {};
      if (spec.type === 'ExternalName' || !spec.clusterIP || spec.clusterIP === 'None') continue;
      for (const p of list(spec.ports, 'spec.ports')) {
        if (isRecord(p)) keys.push(`${str(meta.namespace, 'namespace')}/${str(meta.name, 'name')} ${String(p.port)}/${typeof p.protocol === 'string' ? p.protocol : 'TCP'}`);
      }
    }
    return keys;
  }

  connect(address: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const s = connect({ host: address, port, timeout: 3000 });
      s.once('connect', () => { s.destroy(); resolve(performance.now() - t0); });
      s.once('timeout', () => { s.destroy(); reject(new Error(`no answer from ${address}:${port} within 3 s`)); });
      s.once('error', (e) => reject(new Error(`${address}:${port}: ${e.message}`)));
    });
  }

  /** A NodePort Service's node port: the probe's target. */
  async nodePort(service: string): Promise<number> {
    const [ns, name] = service.split('/');
    const s = await this.json(`/api/v1/namespaces/${ns}/services/${name}`);
    const port = list(record(s.spec, 'spec').ports, 'spec.ports').map((p) => (isRecord(p) ? p.nodePort : undefined)).find((p) => typeof p === 'number');
    if (typeof port !== 'number') throw new Error(`--probe ${service}: the Service has no node port (the probe connects to it on each node)`);
    return port;
  }

  private async json(path: string, params?: Record<string, string>): Promise<Raw> {
    const o = await apiGet(this.o.kubeConfig, path, { ...(params ? { params } : {}), timeoutMs: TIMEOUT_MS });
    if (o === undefined) throw new Error(`GET ${path}: not found`);
    return record(o, path);
  }

  /** A command in the pod's (only) container, as kubectl exec runs it; its stdout. */
  private async exec(pod: string, argv: string[]): Promise<string> {
    this.exec_ ??= import('@kubernetes/client-node').then(({ KubeConfig, Exec }) => {
      const kc = new KubeConfig();
      kc.loadFromFile(this.o.kubeconfigPath);
      return new Exec(kc);
    });
    const exec = await this.exec_;
    let stdout = '';
    let stderr = '';
    const sink = (add: (s: string) => void) => new Writable({ write(chunk: Buffer, _e, done) { add(chunk.toString('utf8')); done(); } });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} in ${pod}: no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
      exec.exec(NAMESPACE, pod, this.o.ipvsProxyContainer, argv, sink((s) => { stdout += s; }), sink((s) => { stderr += s; }), null, false, (status) => {
        clearTimeout(timer);
        if (status.status === 'Success') resolve(stdout);
        else reject(new Error(`${argv.join(' ')} in ${pod}: ${stderr.trim() || status.message || 'failed'}`));
      }).catch((e: Error) => { clearTimeout(timer); reject(new Error(`exec in ${pod}: ${e.message}`)); });
    });
  }
}

/** The DaemonSet's pod among a node's pods: ready, starting, terminating, or none. */
function podOf(pods: readonly Raw[], daemonSet: string): { phase: PodPhase; pod?: string } {
  const mine = pods.filter((p) => {
    const refs = isRecord(p.metadata) ? p.metadata.ownerReferences : undefined;
    return Array.isArray(refs) && refs.some((r) => isRecord(r) && r.kind === 'DaemonSet' && r.name === daemonSet);
  });
  const phaseOf = (p: Raw): PodPhase => {
    const meta = isRecord(p.metadata) ? p.metadata : {};
    if (meta.deletionTimestamp) return 'terminating';
    const status = isRecord(p.status) ? p.status : {};
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return 'terminating';
    const ready = Array.isArray(status.conditions) && status.conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True');
    return ready ? 'ready' : 'starting';
  };
  const rank: Record<PodPhase, number> = { ready: 3, starting: 2, terminating: 1, none: 0 };
  let best: { phase: PodPhase; pod?: string } = { phase: 'none' };
  for (const p of mine) {
    const phase = phaseOf(p);
    if (rank[phase] > rank[best.phase]) best = { phase, pod: String(isRecord(p.metadata) ? p.metadata.name : '') };
  }
  return best;
}
