// /healthz and /livez, and the /metrics and /status endpoints. /healthz (readiness) is ready once a
// sync has succeeded and the last success is younger than twice the sync period (as kube-proxy's
// healthz), and while the Node is not being deleted (KEP-3836: load balancers that probe it drain
// the node first); before the first sync it says what the proxy waits for. /livez only fails once a
// proxy that had synced stops succeeding: waiting for an unreachable API server is not fixed by a restart.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyMetrics } from './metrics.js';
import type { StatusFilter } from '../status/build.js';
import type { StatusReport } from '../status/report.js';

export class HealthState {
  private lastSuccess: number | undefined;
  private readonly started: number;
  constructor(
    private readonly syncPeriodMs: number,
    private readonly now: () => number = Date.now,
    private readonly problem: () => string | undefined = () => undefined,
    /** false while the Node is being deleted */
    private readonly nodeEligible: () => boolean = () => true,
  ) {
    this.started = now();
  }
  synced(): void { this.lastSuccess = this.now(); }
  /** ready: synced, recently, and the Node is not going away */
  healthy(): boolean { return this.lastSuccess !== undefined && this.fresh(this.lastSuccess) && this.nodeEligible(); }
  /** alive: still starting, or synced recently */
  alive(): boolean { return this.lastSuccess === undefined || this.fresh(this.lastSuccess); }
  /** upstream's fields (lastUpdated, currentTime, and nodeEligible for /healthz), then what the proxy waits for */
  report(withNode: boolean) {
    const problem = this.problem();
    return {
      lastUpdated: this.lastSuccess === undefined ? null : new Date(this.lastSuccess).toISOString(),
      currentTime: new Date(this.now()).toISOString(),
      ...(withNode ? { nodeEligible: this.nodeEligible() } : {}),
      ...(this.lastSuccess === undefined ? { waiting: problem ?? 'for the first sync', waitingSeconds: Math.round((this.now() - this.started) / 1000) } : problem ? { problem } : {}),
    };
  }
  private fresh(t: number): boolean { return this.now() - t < 2 * this.syncPeriodMs; }
}

export function healthHandler(state: HealthState) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/livez') { res.writeHead(404).end('not found\n'); return; }
    const healthz = path === '/healthz';
    const ok = healthz ? state.healthy() : state.alive();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' }).end(`${JSON.stringify(state.report(healthz))}\n`);
  };
}

/**
 * /metrics, /proxyMode (as kube-proxy's metrics server: tools and upstream's e2e tests read a node's
 * proxy mode there), and /status (read-only JSON for `ipvs-proxy status` and `explain`;
 * ?service=NS/NAME, ?address=IP narrow it).
 */
export function metricsHandler(metrics: ProxyMetrics, status?: (filter: StatusFilter) => Promise<StatusReport>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/proxyMode') { res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('ipvs'); return; }
    if (url.pathname === '/status' && status && req.method === 'GET') {
      const filter = { ...(url.searchParams.has('service') ? { service: url.searchParams.get('service')! } : {}), ...(url.searchParams.has('address') ? { address: url.searchParams.get('address')! } : {}) };
      status(filter).then(
        (report) => res.writeHead(200, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' }).end(`${JSON.stringify(report)}\n`),
        (e: Error) => res.writeHead(500).end(`${e.message}\n`),
      );
      return;
    }
    if (url.pathname !== '/metrics') { res.writeHead(404).end('not found\n'); return; }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (e: Error) => res.writeHead(500).end(`${e.message}\n`),
    );
  };
}
