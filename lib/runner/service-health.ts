// Health-check node ports of externalTrafficPolicy=Local Services: one HTTP listener per port,
// 200 while the node has local endpoints for the Service, 503 otherwise, so external load
// balancers send traffic only to nodes that can serve it (as kube-proxy's ServiceHealthServer).
import type { Server } from 'node:http';
import type { Logger } from '../log.js';
import type { HealthCheck } from '../model/desired-state.js';
import { closeServer, listen } from './http.js';

export class ServiceHealthServers {
  private readonly servers = new Map<number, { server: Server | undefined; check: HealthCheck }>();

  constructor(private readonly log: Logger, private readonly host = '0.0.0.0') {}

  async update(checks: readonly HealthCheck[]): Promise<void> {
    const want = new Map(checks.map((c) => [c.nodePort, c]));
    for (const [port, entry] of this.servers) {
      if (want.has(port)) continue;
      this.servers.delete(port);
      if (entry.server) await closeServer(entry.server);
    }
    for (const [port, check] of want) {
      const entry = this.servers.get(port);
      if (entry) { entry.check = check; continue; }
      const slot: { server: Server | undefined; check: HealthCheck } = { server: undefined, check };
      this.servers.set(port, slot);
      try {
        slot.server = await listen({ host: this.host, port }, (_req, res) => {
          const [namespace, name] = slot.check.service.split('/');
          const n = slot.check.localEndpoints;
          res.writeHead(n > 0 ? 200 : 503, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'x-load-balancing-endpoint-weight': String(n) })
            .end(`${JSON.stringify({ service: { namespace, name }, localEndpoints: n, serviceProxyHealthy: true })}\n`);
        });
      } catch (e) {
        this.servers.delete(port);
        this.log.error({ service: check.service, port, err: (e as Error).message }, 'cannot serve the health-check node port');
      }
    }
  }

  async close(): Promise<void> {
    for (const { server } of this.servers.values()) if (server) await closeServer(server);
    this.servers.clear();
  }
}
