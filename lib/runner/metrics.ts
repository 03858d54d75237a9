// Prometheus metrics under upstream kube-proxy's names (dashboards and alerts keep working), plus
// ipvs-proxy's own counters of kernel operations.
import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from 'prom-client';
import type { OperationKind } from '../plan/operations.js';
import type { VirtualServerStats } from '../kernel/ipvs/types.js';

/** The kernel's counters of one Service port, summed over its virtual servers. */
export interface ServicePortTraffic {
  readonly namespace: string;
  readonly service: string;
  /** the port's name ('' for a single unnamed port) */
  readonly port: string;
  readonly protocol: string;
  readonly stats: VirtualServerStats;
}

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly syncDuration = new Histogram({
    name: 'kubeproxy_sync_proxy_rules_duration_seconds', help: 'SyncProxyRules latency in seconds',
    buckets: exponentialBuckets(0.001, 2, 15), registers: [this.registry],
  });
  readonly lastSync = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'The last time proxy rules were successfully synced', registers: [this.registry] });
  readonly lastQueued = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', help: 'The last time a sync of proxy rules was queued', registers: [this.registry] });
  readonly programming = new Histogram({
    name: 'kubeproxy_network_programming_duration_seconds', help: 'In Cluster Network Programming Latency in seconds',
    buckets: [0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 30, 45, 60, 75, 90, 105, 120, 135, 150, 165, 180, 195, 210, 225, 240, 255, 270, 285, 300],
    registers: [this.registry],
  });
  readonly serviceChanges = new Counter({ name: 'kubeproxy_sync_proxy_rules_service_changes_total', help: 'Cumulative proxy rules Service changes', registers: [this.registry] });
  readonly endpointChanges = new Counter({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_total', help: 'Cumulative proxy rules Endpoint changes', registers: [this.registry] });
  readonly restoreFailures = new Counter({ name: 'kubeproxy_sync_proxy_rules_iptables_restore_failures_total', help: 'Cumulative proxy iptables restore failures', registers: [this.registry] });
  readonly noLocalEndpoints = new Gauge({
    name: 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', help: 'Number of services with a Local traffic policy and no endpoints',
    labelNames: ['traffic_policy'], registers: [this.registry],
  });
  readonly operations = new Counter({
    name: 'ipvs_proxy_kernel_operations_total', help: 'Kernel operations applied, by kind and result',
    labelNames: ['kind', 'result'], registers: [this.registry],
  });
  readonly syncs = new Counter({ name: 'ipvs_proxy_syncs_total', help: 'Syncs run, by result', labelNames: ['result'], registers: [this.registry] });
  readonly skipped = new Gauge({ name: 'ipvs_proxy_skipped_objects', help: 'Objects not programmed in the last sync, by kind', labelNames: ['kind'], registers: [this.registry] });

  private traffic: (() => Promise<readonly ServicePortTraffic[]>) | undefined;

  /**
   * Per-Service traffic from the kernel's IPVS counters (--service-traffic-metrics), read once per
   * scrape: connections, packets and bytes, each a counter since its virtual servers were created.
   */
  enableServiceTraffic(read: () => Promise<readonly ServicePortTraffic[]>): void {
    this.traffic = read;
  }

  /** The exposition text of every metric: the registry's, then the per-Service counters. */
  async text(): Promise<string> {
    const base = await this.registry.metrics();
    return this.traffic ? base + serviceTrafficText(await this.traffic()) : base;
  }

  countOperations(byKind: ReadonlyMap<OperationKind, { ok: number; failed: number }>): void {
    for (const [kind, c] of byKind) {
      if (c.ok) this.operations.inc({ kind, result: 'ok' }, c.ok);
      if (c.failed) this.operations.inc({ kind, result: 'failed' }, c.failed);
    }
  }
}

const escapeLabel = (v: string) => v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/**
 * The per-Service counters in Prometheus' text format, written here rather than through
 * prom-client's counters: at 30,000 Services (180,000 series) their label bookkeeping made a
 * scrape take a second of CPU, and tens of seconds on a slow node.
 */
export function serviceTrafficText(rows: readonly ServicePortTraffic[]): string {
  const labels = rows.map((t) => `namespace="${escapeLabel(t.namespace)}",service="${escapeLabel(t.service)}",port="${escapeLabel(t.port)}",protocol="${escapeLabel(t.protocol)}"`);
  const out: string[] = [];
  const family = (name: string, help: string, line: (t: ServicePortTraffic, l: string) => string) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (let i = 0; i < rows.length; i++) out.push(line(rows[i]!, labels[i]!));
  };
  family('ipvs_proxy_service_connections_total', 'Connections to a Service port (IPVS counters)',
    (t, l) => `ipvs_proxy_service_connections_total{${l}} ${t.stats.connections}`);
  family('ipvs_proxy_service_packets_total', 'Packets through a Service port, by direction (IPVS counters)',
    (t, l) => `ipvs_proxy_service_packets_total{${l},direction="in"} ${t.stats.packetsIn}\nipvs_proxy_service_packets_total{${l},direction="out"} ${t.stats.packetsOut}`);
  family('ipvs_proxy_service_bytes_total', 'Bytes through a Service port, by direction (IPVS counters)',
    (t, l) => `ipvs_proxy_service_bytes_total{${l},direction="in"} ${t.stats.bytesIn}\nipvs_proxy_service_bytes_total{${l},direction="out"} ${t.stats.bytesOut}`);
  return `\n${out.join('\n')}\n`;
}
