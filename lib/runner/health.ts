// /healthz and /livez, and the /metrics endpoint. /healthz (readiness) is ready once a sync has
// succeeded and the last success is younger than twice the sync period (as kube-proxy's healthz);
// before the first sync it says what the proxy waits for. /livez only fails once a proxy that had
// synced stops succeeding: waiting for an unreachable API server is not fixed by a restart.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyMetrics } from './metrics.js';

export class HealthState {
  private lastSuccess: number | undefined;
  private readonly started: number;
  constructor(private readonly syncPeriodMs: number, private readonly now: () => number = Date.now, private readonly problem: () => string | undefined = () => undefined) {
    this.started = now();
  }
  synced(): void { this.lastSuccess = this.now(); }
  /** ready: synced, recently */
  healthy(): boolean { return this.lastSuccess !== undefined && this.fresh(this.lastSuccess); }
  /** alive: still starting, or synced recently */
  alive(): boolean { return this.lastSuccess === undefined || this.fresh(this.lastSuccess); }
  report() {
    const problem = this.problem();
    return {
      lastUpdated: this.lastSuccess === undefined ? null : new Date(this.lastSuccess).toISOString(),
      currentTime: new Date(this.now()).toISOString(),
      ...(this.lastSuccess === undefined ? { waiting: problem ?? 'for the first sync', waitingSeconds: Math.round((this.now() - this.started) / 1000) } : problem ? { problem } : {}),
    };
  }
  private fresh(t: number): boolean { return this.now() - t < 2 * this.syncPeriodMs; }
}

export function healthHandler(state: HealthState) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/livez') { res.writeHead(404).end('not found\n'); return; }
    const ok = path === '/healthz' ? state.healthy() : state.alive();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(state.report())}\n`);
  };
}

export function metricsHandler(metrics: ProxyMetrics) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') { res.writeHead(404).end('not found\n'); return; }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (e: Error) => res.writeHead(500).end(`${e.message}\n`),
    );
  };
}
