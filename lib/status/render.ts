// `ipvs-proxy status` as text: the last sync and its problems, then each Service port with its
// virtual servers, their real servers (node, weight, connections, draining) and traffic rates.
import { hostPort } from '../net/address.js';
import type { StatusReport, VirtualServerStatus } from './report.js';

export function renderStatus(r: StatusReport): string {
  const out: string[] = [];
  if (r.from === 'kernel') out.push('from the kernel alone (no ipvs-proxy answers on its metrics address): virtual servers without Service names');
  else {
    const s = r.lastSync;
    out.push(`node ${r.node ?? '?'}; last sync ${s ? `${s.at}: ${s.ok ? 'ok' : `${s.failed} operation(s) failed`} (${s.reason}${s.full ? ', full' : ''}, ${s.operations} operation(s), ${s.ms} ms)` : 'none yet'}`);
    out.push(r.problems.length === 0 ? 'problems: none' : `problems (${r.problems.length}):`);
    for (const p of r.problems) out.push(`  ${p.skipped ? 'skipped' : 'warning'} ${p.kind} ${p.namespace}/${p.name}: ${p.reason}`);
  }
  if (r.services.length > 0 && r.services[0]!.ports.some((p) => p.virtualServers.some((v) => !v.realServers))) {
    out.push('(real servers counted; "ipvs-proxy status NAMESPACE/NAME" lists them)');
  }
  for (const svc of r.services) {
    out.push('', `${svc.namespace}/${svc.name} (${svc.type})`);
    for (const p of svc.ports) {
      const e = p.endpoints;
      out.push(`  port ${p.name || '(unnamed)'} ${p.protocol.toUpperCase()}/${p.port}: ${e.ready} of ${e.total} endpoint(s) ready${e.servingTerminating ? `, ${e.servingTerminating} serving while terminating` : ''}, ${e.localReady} on this node`);
      for (const v of p.virtualServers) out.push(...vsLines(v, '    '));
    }
  }
  if (r.otherVirtualServers.length > 0) {
    out.push('', r.from === 'kernel' ? 'virtual servers:' : 'virtual servers of no Service of this proxy (another IPVS user\'s):');
    for (const v of r.otherVirtualServers) out.push(...vsLines(v, '  '));
  }
  out.push('');
  return out.join('\n');
}

function vsLines(v: VirtualServerStatus, indent: string): string[] {
  const rates = v.stats ? `  ${v.stats.connections} conn total, ${v.stats.rates.connections} conn/s, in ${v.stats.rates.bytesIn} B/s, out ${v.stats.rates.bytesOut} B/s` : '';
  const lines = [`${indent}${v.key} ${v.scheduler}${v.persistenceSeconds !== undefined ? ` persistent ${v.persistenceSeconds}s` : ''}${v.role ? ` (${v.role})` : ''}${rates}`];
  const c = v.counts;
  if (!v.realServers) lines.push(`${indent}  ${c.serving} serving${c.draining ? `, ${c.draining} draining` : ''}; active ${c.activeConnections}, inactive ${c.inactiveConnections}`);
  for (const rs of v.realServers ?? []) {
    lines.push(`${indent}  -> ${hostPort(rs.address, rs.port).padEnd(24)} weight ${rs.weight}  active ${rs.activeConnections}  inactive ${rs.inactiveConnections}${rs.node ? `  node ${rs.node}` : ''}${rs.state === 'draining' ? '  draining' : ''}`);
  }
  if (v.why) lines.push(`${indent}  no serving real server: ${v.why}`);
  return lines;
}
