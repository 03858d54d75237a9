// /healthz and /livez: healthy while syncs succeed, 503 once the last successful sync is older
// than twice the sync period (as kube-proxy's healthz), and the /metrics endpoint.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyMetrics } from './metrics.js';

export class HealthState {
  private lastSuccess: number;
  constructor(private readonly syncPeriodMs: number, private readonly now: () => number = Date.now) {
    // Starting counts as fresh: the first sync has 2 × sync period to succeed.
    this.lastSuccess = now();
  }
  synced(): void { this.lastSuccess = this.now(); }
  healthy(): boolean { return this.now() - this.lastSuccess < 2 * this.syncPeriodMs; }
  report() { return { lastUpdated: new Date(this.lastSuccess).toISOString(), currentTime: new Date(this.now()).toISOString() }; }
}

export function healthHandler(state: HealthState) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/livez') { res.writeHead(404).end('not found\n'); return; }
    res.writeHead(state.healthy() ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(state.report())}\n`);
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
