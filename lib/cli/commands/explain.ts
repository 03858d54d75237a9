// `ipvs-proxy explain DESTINATION [--from SOURCE]`: the path of a new connection through this node's
// live kernel state, rule by rule, to the real servers that may answer and the source address they
// see; or why nothing answers. DESTINATION is ADDRESS:PORT[/tcp|udp|sctp] or NAMESPACE/NAME[:PORT]
// (named through the running proxy's /status).
import { command } from '../command.js';
import { option } from '../options.js';
import { METRICS_BIND_OPTION } from './run.js';
import { OUTPUT_OPTION } from './status.js';
import { canonicalIp, cidrContains, ipFamily } from '../../net/address.js';
import type { Protocol } from '../../kernel/ipvs/types.js';
import { fetchStatus } from '../../status/client.js';
import type { StatusReport } from '../../status/report.js';
import { explain, type Destination } from '../../explain/explain.js';
import { readKernelView, type SourceSpec } from '../../explain/read-view.js';
import { renderExplanation } from '../../explain/render.js';
import { IpRoutes } from '../../kernel/links/routes.js';
import { openKernelOrLog } from '../../sync/open-kernel.js';
import ipaddr from 'ipaddr.js';

const EXPLAIN_OPTIONS = [
  option({ key: 'from', flag: 'from', doc: 'the client: a pod or other address, or "node" (a process on this node); default: a pod address of --cluster-cidr', type: 'string', default: '', meta: 'SOURCE' }),
  option({ key: 'clusterCidr', flag: 'cluster-cidr', doc: "the cluster's pod CIDRs, to tell pods from other clients", type: 'list', default: [], meta: 'CIDR' }),
  METRICS_BIND_OPTION,
  OUTPUT_OPTION,
] as const;

class ExplainError extends Error {}

export const explainCommand = command({
  name: 'explain',
  summary: 'explain what this node does with a new connection to ADDRESS:PORT[/PROTOCOL] or NAMESPACE/NAME[:PORT], from the live kernel state',
  options: EXPLAIN_OPTIONS,
  run: async ({ settings, positionals, stdout, stderr, log }) => {
    const text = positionals[0];
    if (!text || positionals.length > 1) { stderr.write('usage: ipvs-proxy explain ADDRESS:PORT[/tcp|udp|sctp] | NAMESPACE/NAME[:PORT] [--from SOURCE]\n'); return 2; }
    let dest: Destination, status: StatusReport | undefined, source: SourceSpec;
    try {
      const address = parseAddressPort(text);
      status = await fetchStatus(settings.metricsBindAddress, address ? { address: address.address } : { service: text.split(':')[0]! });
      dest = address ?? resolveName(text, status, settings.metricsBindAddress);
      source = sourceSpec(settings.from, ipFamily(dest.address), settings.clusterCidr);
    } catch (e) {
      if (!(e instanceof ExplainError)) throw e;
      stderr.write(`ipvs-proxy explain: ${e.message}\n`);
      return 2;
    }
    const kernel = await openKernelOrLog(log);
    if (!kernel) return 1;
    try {
      const { view, source: packetSource } = await readKernelView(kernel, new IpRoutes(), dest, source);
      const e = explain(view, packetSource, dest, status);
      stdout.write(settings.output === 'json' ? `${JSON.stringify(e, null, 2)}\n` : renderExplanation(e));
      return 0;
    } finally {
      kernel.close();
    }
  },
});

/** "10.96.0.10:80", "10.96.0.10:53/udp", "[fd00::10]:80/tcp"; undefined when it is not one. */
export function parseAddressPort(text: string): Destination | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(text);
  if (!m) return undefined;
  const address = canonicalIp(m[1] ?? m[2]!);
  const port = Number(m[3]);
  if (!address || port < 1 || port > 65535) throw new ExplainError(`"${text}" is not a valid address and port`);
  return { address, port, protocol: (m[4]?.toLowerCase() ?? 'tcp') as Protocol };
}

/** NAMESPACE/NAME[:PORT] to the ClusterIP virtual server of that port (its first family), through the proxy's report. */
function resolveName(text: string, status: StatusReport | undefined, bind: string): Destination {
  const m = /^([^/\s:]+)\/([^/\s:]+)(?::([\w-]+))?$/.exec(text);
  if (!m) throw new ExplainError(`"${text}" is neither ADDRESS:PORT[/PROTOCOL] nor NAMESPACE/NAME[:PORT]`);
  if (!status || status.from !== 'proxy') throw new ExplainError(`no ipvs-proxy answers at ${bind || '(metrics disabled)'} to name ${m[1]}/${m[2]}: give its ADDRESS:PORT`);
  const svc = status.services.find((s) => s.namespace === m[1] && s.name === m[2]);
  if (!svc) throw new ExplainError(`the proxy programs no Service ${m[1]}/${m[2]}`);
  const port = m[3] === undefined ? svc.ports[0] : svc.ports.find((p) => p.name === m[3] || String(p.port) === m[3]);
  if (!port) throw new ExplainError(`Service ${m[1]}/${m[2]} has no port ${m[3]} (it has ${svc.ports.map((p) => p.name || p.port).join(', ')})`);
  const vs = port.virtualServers.find((v) => v.role === 'cluster-ip') ?? port.virtualServers[0];
  if (!vs) throw new ExplainError(`Service ${m[1]}/${m[2]} port ${m[3] ?? port.port} has no virtual server`);
  return { address: vs.address, port: vs.port, protocol: vs.protocol as Protocol };
}

function sourceSpec(from: string, family: 4 | 6, clusterCidrs: readonly string[]): SourceSpec {
  if (from === 'node') return { kind: 'node' };
  if (from !== '') {
    const address = canonicalIp(from);
    if (!address) throw new ExplainError(`--from "${from}" is neither an address nor "node"`);
    const pod = clusterCidrs.some((c) => cidrContains(c, address));
    return { kind: 'address', address, label: `${pod ? 'pod' : 'client'} ${address}` };
  }
  const cidr = clusterCidrs.find((c) => ipFamily(c.split('/')[0]!) === family);
  if (!cidr) throw new ExplainError(`say who connects: --from ADDRESS or --from node (or give --cluster-cidr for a pod of it)`);
  // a made-up pod: the second address of the CIDR
  const [net] = ipaddr.parseCIDR(cidr);
  const bytes = net.toByteArray();
  bytes[bytes.length - 1] = (bytes[bytes.length - 1]! | 2);
  const address = ipaddr.fromByteArray(bytes).toString();
  return { kind: 'address', address, label: `a pod of the cluster CIDR (${address})` };
}
