// `explain`'s text for people: the packet, each rule it passes, the virtual server and its real
// servers, what the backend sees, the conntrack entries, and the verdict last.
import { hostPort } from '../net/address.js';
import type { Explanation } from './explain.js';

export function renderExplanation(e: Explanation): string {
  const out: string[] = [];
  const d = e.destination;
  const svc = e.service ? ` (Service ${e.service.namespace}/${e.service.name}${e.service.port ? ` port ${e.service.port}` : ''}${e.service.role ? `, ${e.service.role}` : ''})` : '';
  out.push(`${d.protocol.toUpperCase()} ${hostPort(d.address, d.port)}${svc}`, `from ${e.source.label}: source ${e.source.address}${e.source.inInterface ? `, in by ${e.source.inInterface}` : ''}`, '');
  let hook = '';
  for (const s of e.steps) {
    if (s.hook !== hook) { out.push(`${s.hook}:`); hook = s.hook; }
    out.push(`  ${s.rule}`, `      -> ${s.effect}`);
  }
  if (e.steps.length === 0) out.push('no rule of ipvs-proxy applies');
  if (e.virtualServer) {
    const v = e.virtualServer;
    out.push('', `virtual server ${v.key}  scheduler ${v.scheduler}${v.persistenceSeconds !== undefined ? `  persistent ${v.persistenceSeconds}s` : ''}${v.ours === false ? '  (not programmed by ipvs-proxy: another IPVS user\'s)' : ''}`);
    if (e.realServers.length === 0) out.push('  no real servers');
    for (const r of e.realServers) {
      const node = r.node ? `  node ${r.node}` : '';
      out.push(`  -> ${hostPort(r.address, r.port).padEnd(22)} weight ${r.weight}  active ${r.activeConnections}  inactive ${r.inactiveConnections}  ${r.state}${node}`
        + (r.state === 'may answer' ? `  sees ${r.seesSource}${r.masquerade ? ` (masqueraded: ${r.masquerade})` : ''}` : ''));
    }
  }
  if (e.flows.length > 0) {
    out.push('', `conntrack (${e.flows.length} entr${e.flows.length === 1 ? 'y' : 'ies'} to this destination${e.flows.length > 5 ? ', first 5' : ''}):`);
    for (const f of e.flows.slice(0, 5)) out.push(`  ${f.text}`);
  }
  if (e.unknownRules.length > 0) out.push('', 'rules not evaluated (a match explain does not know):', ...e.unknownRules.map((r) => `  ${r}`));
  out.push('', e.verdict, '');
  return out.join('\n');
}
