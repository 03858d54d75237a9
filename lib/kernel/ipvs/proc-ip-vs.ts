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
  // Hundreds of thousands of lines at scale: one split per line, no regular-expression captures.
  const out = new Map<string, RealServerStatus[]>();
  let current: RealServerStatus[] | undefined;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    const f = line.trim().split(/\s+/);
    if (f[0] === 'TCP' || f[0] === 'UDP' || f[0] === 'SCTP') {
      const ep = endpoint(f[1] ?? '');
      current = ep ? [] : undefined;
      if (ep && current) out.set(`${f[0]} ${hostPort(ep.address, ep.port)}`, current);
      continue;
    }
    if (f[0] === 'FWM') { current = undefined; continue; }
    if (f[0] !== '->' || !current || f.length < 6) continue;
    const ep = endpoint(f[1]!);
    const [weight, active, inactive] = [Number(f[3]), Number(f[4]), Number(f[5])];
    if (!ep || !Number.isInteger(weight) || !Number.isInteger(active) || !Number.isInteger(inactive)) continue;
    current.push({
      address: ep.address, port: ep.port, forward: FORWARD[f[2]!] ?? 'masq', weight, upperThreshold: 0, lowerThreshold: 0,
      activeConnections: active, inactiveConnections: inactive, persistentConnections: 0,
    });
  }
  return out;
}

export async function readProcIpVs(path = '/proc/net/ip_vs'): Promise<Map<string, RealServerStatus[]>> {
  return parseProcIpVs(await readFile(path, 'utf8'));
}

/** "0A600001:01BB" or "[fd00:0010:…:0001]:01BB" as an address and a port. */
function endpoint(text: string): { address: string; port: number } | undefined {
  if (text.length === 13 && text[8] === ':' && HEX.test(text)) {
    const n = parseInt(text.slice(0, 8), 16);
    return { address: `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, port: parseInt(text.slice(9), 16) };
  }
  const v6 = /^\[([0-9a-f:]+)\]:([0-9A-F]{4})$/i.exec(text);
  if (!v6) return undefined;
  const bytes = Buffer.from(v6[1]!.split(':').map((g) => g.padStart(4, '0')).join(''), 'hex');
  return bytes.length === 16 ? { address: ipFromBytes(bytes, 6), port: parseInt(v6[2]!, 16) } : undefined;
}

const HEX = /^[0-9A-F]{8}:[0-9A-F]{4}$/i;
