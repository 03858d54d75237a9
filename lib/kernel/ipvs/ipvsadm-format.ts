// The text `ipvsadm -Sn` prints for a table, so the fake, `ipvs-proxy plan` and the live kernel
// can be compared line by line.
import { hostPort } from '../../net/address.js';
import { SvcFlags, type RealServer, type VirtualServer, type ForwardMethod } from './types.js';

const PROTO_SWITCH = { tcp: '-t', udp: '-u', sctp: '--sctp-service' } as const;
const FWD_SWITCH: Readonly<Record<ForwardMethod, string>> = { masq: '-m', route: '-g', local: '-g', tunnel: '-i', bypass: '-g' };

export interface TableEntry {
  readonly vs: VirtualServer;
  readonly realServers: Iterable<RealServer>;
}

export function formatVirtualServer(vs: VirtualServer): string {
  let line = `-A ${PROTO_SWITCH[vs.protocol]} ${hostPort(vs.address, vs.port)} -s ${vs.scheduler}`;
  if (vs.flags & SvcFlags.PERSISTENT) {
    line += ` -p ${vs.timeout}`;
    if (vs.family === 4 && vs.netmask !== 32) line += ` -M ${ipv4Mask(vs.netmask)}`;
    if (vs.family === 6 && vs.netmask !== 128) line += ` -M ${vs.netmask}`;
  }
  const sched = schedFlagNames(vs);
  if (sched.length > 0) line += ` -b ${sched.join(',')}`;
  if (vs.flags & SvcFlags.ONEPACKET) line += ' -o';
  return line;
}

export function formatRealServer(vs: VirtualServer, rs: RealServer): string {
  let line = `-a ${PROTO_SWITCH[vs.protocol]} ${hostPort(vs.address, vs.port)} -r ${hostPort(rs.address, rs.port)} ${FWD_SWITCH[rs.forward]} -w ${rs.weight}`;
  if (rs.upperThreshold) line += ` -x ${rs.upperThreshold}`;
  if (rs.lowerThreshold) line += ` -y ${rs.lowerThreshold}`;
  return line;
}

/** Whole table in ipvsadm's order: virtual servers sorted, each followed by its sorted real servers. */
export function formatIpvsadmSave(entries: readonly TableEntry[]): string {
  const lines: string[] = [];
  for (const { vs, realServers } of [...entries].sort((a, b) => compareVs(a.vs, b.vs))) {
    lines.push(formatVirtualServer(vs));
    for (const rs of [...realServers].sort(compareRs)) lines.push(formatRealServer(vs, rs));
  }
  return lines.map((l) => `${l}\n`).join('');
}

function schedFlagNames(vs: VirtualServer): string[] {
  const names: string[] = [];
  const kind = vs.scheduler === 'sh' || vs.scheduler === 'mh' ? vs.scheduler : undefined;
  if (vs.flags & SvcFlags.SCHED1) names.push(kind ? `${kind}-fallback` : 'flag-1');
  if (vs.flags & SvcFlags.SCHED2) names.push(kind ? `${kind}-port` : 'flag-2');
  if (vs.flags & SvcFlags.SCHED3) names.push('flag-3');
  return names;
}

function ipv4Mask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join('.');
}

const PROTO_ORDER = { tcp: 0, udp: 1, sctp: 2 } as const;
function compareVs(a: VirtualServer, b: VirtualServer): number {
  return PROTO_ORDER[a.protocol] - PROTO_ORDER[b.protocol] || a.family - b.family
    || compareAddress(a.address, b.address) || a.port - b.port;
}
const compareRs = (a: RealServer, b: RealServer) => compareAddress(a.address, b.address) || a.port - b.port;

function compareAddress(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
