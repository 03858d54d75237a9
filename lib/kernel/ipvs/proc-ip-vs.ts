// Every real server of every virtual server in one read of /proc/net/ip_vs (the kernel's own
// table listing), instead of one netlink dump per virtual server: IPVS has no netlink dump of
// all destinations, and a full resync of 30,000 virtual servers would need 30,000 round trips.
// Virtual server settings still come from the netlink dump; this gives destinations and counters.
import { readFile } from 'node:fs/promises';
import { hostPort, ipFromBytes } from '../../net/address.js';
import type { ForwardMethod, RealServerStatus } from './types.js';

const FORWARD: Readonly<Record<string, ForwardMethod>> = { Masq: 'masq', Local: 'local', Tunnel: 'tunnel', Route: 'route', Bypass: 'bypass' };

/** "TCP 10.96.0.1:443" (vsKey) -> its real servers, from the text of /proc/net/ip_vs. */
export function parseProcIpVs(text: string): Map<string, RealServerStatus[]> {
  const out = new Map<string, RealServerStatus[]>();
  let current: RealServerStatus[] | undefined;
  for (const line of text.split('\n')) {
    const vs = /^(TCP|UDP|SCTP)\s+(\S+)\s/.exec(line);
    if (vs) {
      const ep = endpoint(vs[2]!);
      current = [];
      if (ep) out.set(`${vs[1]} ${hostPort(ep.address, ep.port)}`, current);
      continue;
    }
    if (/^FWM\s/.test(line)) { current = undefined; continue; }
    const rs = /^\s+->\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(line);
    if (!rs || !current) continue;
    const ep = endpoint(rs[1]!);
    if (!ep) continue;
    current.push({
      address: ep.address, port: ep.port, forward: FORWARD[rs[2]!] ?? 'masq', weight: Number(rs[3]), upperThreshold: 0, lowerThreshold: 0,
      activeConnections: Number(rs[4]), inactiveConnections: Number(rs[5]), persistentConnections: 0,
    });
  }
  return out;
}

export async function readProcIpVs(path = '/proc/net/ip_vs'): Promise<Map<string, RealServerStatus[]>> {
  return parseProcIpVs(await readFile(path, 'utf8'));
}

/** "0A600001:01BB" or "[fd00:0010:…:0001]:01BB" as an address and a port. */
function endpoint(text: string): { address: string; port: number } | undefined {
  const v6 = /^\[([0-9a-f:]+)\]:([0-9A-F]{4})$/i.exec(text);
  if (v6) {
    const bytes = Buffer.from(v6[1]!.split(':').map((g) => g.padStart(4, '0')).join(''), 'hex');
    return bytes.length === 16 ? { address: ipFromBytes(bytes, 6), port: parseInt(v6[2]!, 16) } : undefined;
  }
  const v4 = /^([0-9A-F]{8}):([0-9A-F]{4})$/i.exec(text);
  if (!v4) return undefined;
  return { address: ipFromBytes(Buffer.from(v4[1]!, 'hex'), 4), port: parseInt(v4[2]!, 16) };
}
