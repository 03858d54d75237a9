// IPVS over generic netlink (UAPI include/uapi/linux/ip_vs.h), one message per operation and
// one dump per listing. ipvsadm is never called: it is only the tests' oracle.
import { NetlinkChannel, type ChannelOptions } from '../netlink/channel.js';
import { NETLINK_GENERIC, genlHeader, genlPayload, resolveFamilyLoading } from '../netlink/genl.js';
import { be16, nested, parseAttributes, readString, str, u16, u32, attr } from '../netlink/attributes.js';
import { KernelError, isKernelError } from '../errors.js';
import { readProcIpVs } from './proc-ip-vs.js';
import { afOf, familyOfAf, ipFamily, ipFromBytes, ipToBytes, type IpFamily } from '../../net/address.js';
import {
  FORWARD_METHODS, PROTOCOL_NUMBERS, SvcFlags, rsKey, vsKey,
  type ForwardMethod, type Ipvs, type Protocol, type RealServer, type RealServerKey, type RealServerStatus, type RealServerStatuses,
  type VirtualServer, type VirtualServerKey, type IpvsTimeouts, type VirtualServerStats, type VirtualServerWithStats,
} from './types.js';

const IPVS_GENL_VERSION = 1;
const Cmd = { NEW_SERVICE: 1, SET_SERVICE: 2, DEL_SERVICE: 3, GET_SERVICE: 4, NEW_DEST: 5, SET_DEST: 6, DEL_DEST: 7, GET_DEST: 8, SET_CONFIG: 12, GET_CONFIG: 13 } as const;
const CmdAttr = { SERVICE: 1, DEST: 2, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;
const Svc = { AF: 1, PROTOCOL: 2, ADDR: 3, PORT: 4, FWMARK: 5, SCHED_NAME: 6, FLAGS: 7, TIMEOUT: 8, NETMASK: 9, STATS: 10, STATS64: 12 } as const;
/** IPVS_STATS_ATTR_*: in STATS64 every counter is a u64; in STATS the first three are u32 */
const Stat = { CONNS: 1, INPKTS: 2, OUTPKTS: 3, INBYTES: 4, OUTBYTES: 5, CPS: 6, INPPS: 7, OUTPPS: 8, INBPS: 9, OUTBPS: 10 } as const;
const Dest = {
  ADDR: 1, PORT: 2, FWD_METHOD: 3, WEIGHT: 4, U_THRESH: 5, L_THRESH: 6,
  ACTIVE_CONNS: 7, INACT_CONNS: 8, PERSIST_CONNS: 9, ADDR_FAMILY: 11,
} as const;
const IP_VS_CONN_F_FWD_MASK = 0x7;

const PROTOCOLS_BY_NUMBER = new Map(Object.entries(PROTOCOL_NUMBERS).map(([p, n]) => [n, p as Protocol]));
const FORWARD_BY_NUMBER = new Map(Object.entries(FORWARD_METHODS).map(([f, n]) => [n, f as ForwardMethod]));

export class NetlinkIpvs implements Ipvs {
  private constructor(private readonly channel: NetlinkChannel, private readonly familyId: number) {}

  /** Open a socket and resolve the IPVS family (loading ip_vs once if needed). */
  static async open(opts: ChannelOptions = {}): Promise<NetlinkIpvs> {
    const channel = new NetlinkChannel(NETLINK_GENERIC, opts);
    try {
      return new NetlinkIpvs(channel, await resolveFamilyLoading(channel, 'IPVS', 'ip_vs'));
    } catch (e) {
      channel.close();
      throw e;
    }
  }

  close(): void { this.channel.close(); }

  async listVirtualServers(): Promise<VirtualServer[]> {
    return (await this.dumpServices('list virtual servers')).map((s) => s.vs);
  }

  async listStats(): Promise<VirtualServerWithStats[]> {
    return (await this.dumpServices('list virtual server counters')).map(({ vs, attrs }) => ({ vs, stats: decodeStats(attrs) }));
  }

  async getVirtualServer(key: VirtualServerKey): Promise<VirtualServerWithStats | undefined> {
    let msgs;
    try {
      msgs = await this.channel.query(this.familyId, [genlHeader(Cmd.GET_SERVICE, IPVS_GENL_VERSION), serviceAttr(key, false)], { operation: 'get virtual server', object: vsKey(key) });
    } catch (e) {
      if (isKernelError(e, 'ESRCH')) return undefined;
      throw e;
    }
    const svc = msgs[0] && parseAttributes(genlPayload(msgs[0].data)).get(CmdAttr.SERVICE);
    const attrs = svc && parseAttributes(svc);
    const vs = attrs && decodeService(attrs);
    return vs ? { vs, stats: decodeStats(attrs!) } : undefined;
  }

  /** One dump of every virtual server, with the attributes it came in. */
  private async dumpServices(operation: string): Promise<Array<{ vs: VirtualServer; attrs: Map<number, Buffer> }>> {
    const msgs = await this.channel.dump(this.familyId, [genlHeader(Cmd.GET_SERVICE, IPVS_GENL_VERSION)], { operation, object: 'all' });
    const out: Array<{ vs: VirtualServer; attrs: Map<number, Buffer> }> = [];
    for (const m of msgs) {
      const svc = parseAttributes(genlPayload(m.data)).get(CmdAttr.SERVICE);
      const attrs = svc && parseAttributes(svc);
      const vs = attrs && decodeService(attrs);
      if (vs) out.push({ vs, attrs: attrs! });
    }
    return out;
  }

  addVirtualServer(vs: VirtualServer): Promise<void> {
    return this.send(Cmd.NEW_SERVICE, [serviceAttr(vs, true)], 'add virtual server', vsKey(vs));
  }

  updateVirtualServer(vs: VirtualServer): Promise<void> {
    return this.send(Cmd.SET_SERVICE, [serviceAttr(vs, true)], 'update virtual server', vsKey(vs));
  }

  deleteVirtualServer(vs: VirtualServerKey): Promise<void> {
    return this.send(Cmd.DEL_SERVICE, [serviceAttr(vs, false)], 'delete virtual server', vsKey(vs));
  }

  async listRealServers(vs: VirtualServerKey): Promise<RealServerStatus[]> {
    const msgs = await this.channel.dump(this.familyId, [genlHeader(Cmd.GET_DEST, IPVS_GENL_VERSION), serviceAttr(vs, false)], {
      operation: 'list real servers of', object: vsKey(vs),
    });
    const out: RealServerStatus[] = [];
    for (const m of msgs) {
      const dest = parseAttributes(genlPayload(m.data)).get(CmdAttr.DEST);
      const rs = dest && decodeDest(parseAttributes(dest), vs.family);
      if (rs) out.push(rs);
    }
    return out;
  }

  addRealServer(vs: VirtualServerKey, rs: RealServer): Promise<void> {
    return this.send(Cmd.NEW_DEST, [serviceAttr(vs, false), destAttr(rs, true)], 'add real server', `${rsKey(rs)} to ${vsKey(vs)}`);
  }

  updateRealServer(vs: VirtualServerKey, rs: RealServer): Promise<void> {
    return this.send(Cmd.SET_DEST, [serviceAttr(vs, false), destAttr(rs, true)], 'update real server', `${rsKey(rs)} of ${vsKey(vs)}`);
  }

  deleteRealServer(vs: VirtualServerKey, rs: RealServerKey): Promise<void> {
    return this.send(Cmd.DEL_DEST, [serviceAttr(vs, false), destAttr(rs, false)], 'delete real server', `${rsKey(rs)} of ${vsKey(vs)}`);
  }

  /** One read of /proc/net/ip_vs (this network namespace's table). */
  listAllRealServers(): Promise<Map<string, RealServerStatuses>> {
    return readProcIpVs();
  }

  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    // The kernel leaves a timeout of 0 unchanged, as ipvsadm --set does.
    return this.send(Cmd.SET_CONFIG, [u32(CmdAttr.TIMEOUT_TCP, t.tcp), u32(CmdAttr.TIMEOUT_TCP_FIN, t.tcpFin), u32(CmdAttr.TIMEOUT_UDP, t.udp)], 'set timeouts', `tcp ${t.tcp} tcpfin ${t.tcpFin} udp ${t.udp}`);
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const [m] = await this.channel.query(this.familyId, [genlHeader(Cmd.GET_CONFIG, IPVS_GENL_VERSION)], { operation: 'get timeouts', object: 'all' });
    if (!m) throw new KernelError('ENODATA', 'get timeouts', 'all');
    const a = parseAttributes(genlPayload(m.data));
    const n = (k: number) => a.get(k)?.readUInt32LE(0) ?? 0;
    return { tcp: n(CmdAttr.TIMEOUT_TCP), tcpFin: n(CmdAttr.TIMEOUT_TCP_FIN), udp: n(CmdAttr.TIMEOUT_UDP) };
  }

  private send(cmd: number, attrs: Buffer[], operation: string, object: string): Promise<void> {
    return this.channel.request(this.familyId, [genlHeader(cmd, IPVS_GENL_VERSION), ...attrs], { operation, object });
  }
}

function serviceAttr(vs: VirtualServerKey | VirtualServer, full: boolean): Buffer {
  const children = [
    u16(Svc.AF, afOf(vs.family)),
    u16(Svc.PROTOCOL, PROTOCOL_NUMBERS[vs.protocol]),
    attr(Svc.ADDR, ipToBytes(vs.address)),
    be16(Svc.PORT, vs.port),
  ];
  if (full) {
    const v = vs as VirtualServer;
    const flags = Buffer.alloc(8);
    flags.writeUInt32LE(v.flags & ~SvcFlags.HASHED, 0);
    flags.writeUInt32LE(0xffffffff, 4); // mask: every flag is ours to set or clear
    children.push(str(Svc.SCHED_NAME, v.scheduler), attr(Svc.FLAGS, flags), u32(Svc.TIMEOUT, v.timeout),
      netmaskAttr(v.family, v.netmask));
  }
  return nested(CmdAttr.SERVICE, children);
}

// The kernel takes the netmask raw: an IPv4 mask in network order, an IPv6 prefix length as is.
function netmaskAttr(family: IpFamily, prefix: number): Buffer {
  const b = Buffer.alloc(4);
  if (family === 4) b.writeUInt32BE(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
  else b.writeUInt32LE(prefix);
  return attr(Svc.NETMASK, b);
}

function decodeNetmask(family: IpFamily, b: Buffer | undefined): number {
  if (!b) return family === 4 ? 32 : 128;
  if (family === 6) return b.readUInt32LE(0);
  let v = b.readUInt32BE(0);
  let n = 0;
  while (v & 0x80000000) { n++; v = (v << 1) >>> 0; }
  return n;
}

function destAttr(rs: RealServerKey | RealServer, full: boolean): Buffer {
  const children = [
    attr(Dest.ADDR, ipToBytes(rs.address)),
    be16(Dest.PORT, rs.port),
    u16(Dest.ADDR_FAMILY, afOf(ipFamily(rs.address))),
  ];
  if (full) {
    const r = rs as RealServer;
    children.push(u32(Dest.FWD_METHOD, FORWARD_METHODS[r.forward]), u32(Dest.WEIGHT, r.weight),
      u32(Dest.U_THRESH, r.upperThreshold), u32(Dest.L_THRESH, r.lowerThreshold));
  }
  return nested(CmdAttr.DEST, children);
}

function decodeService(a: Map<number, Buffer>): VirtualServer | undefined {
  const family = familyOfAf(a.get(Svc.AF)?.readUInt16LE(0) ?? 0);
  const protocol = PROTOCOLS_BY_NUMBER.get(a.get(Svc.PROTOCOL)?.readUInt16LE(0) ?? -1);
  const addr = a.get(Svc.ADDR);
  const port = a.get(Svc.PORT);
  // fwmark services have no address: not ours, and not representable here.
  if (!family || !protocol || !addr || !port || a.has(Svc.FWMARK) && a.get(Svc.FWMARK)!.readUInt32LE(0) !== 0) return undefined;
  return {
    family, protocol,
    address: ipFromBytes(addr, family),
    port: port.readUInt16BE(0),
    scheduler: readString(a.get(Svc.SCHED_NAME) ?? Buffer.alloc(0)),
    flags: (a.get(Svc.FLAGS)?.readUInt32LE(0) ?? 0) & ~SvcFlags.HASHED,
    timeout: a.get(Svc.TIMEOUT)?.readUInt32LE(0) ?? 0,
    netmask: decodeNetmask(family, a.get(Svc.NETMASK)),
  };
}

function decodeDest(a: Map<number, Buffer>, serviceFamily: IpFamily): RealServerStatus | undefined {
  const family = familyOfAf(a.get(Dest.ADDR_FAMILY)?.readUInt16LE(0) ?? 0) ?? serviceFamily;
  const addr = a.get(Dest.ADDR);
  const port = a.get(Dest.PORT);
  if (!addr || !port) return undefined;
  const u32At = (t: number) => a.get(t)?.readUInt32LE(0) ?? 0;
  const fwd = FORWARD_BY_NUMBER.get(u32At(Dest.FWD_METHOD) & IP_VS_CONN_F_FWD_MASK);
  if (!fwd) throw new KernelError('EPROTO', 'decode real server', ipFromBytes(addr, family), `unknown forward method ${u32At(Dest.FWD_METHOD)}`);
  return {
    address: ipFromBytes(addr, family),
    port: port.readUInt16BE(0),
    weight: u32At(Dest.WEIGHT),
    forward: fwd,
    upperThreshold: u32At(Dest.U_THRESH),
    lowerThreshold: u32At(Dest.L_THRESH),
    activeConnections: u32At(Dest.ACTIVE_CONNS),
    inactiveConnections: u32At(Dest.INACT_CONNS),
    persistentConnections: u32At(Dest.PERSIST_CONNS),
  };
}

/** The counters of a service attribute set: STATS64 (kernel 4.1+), else the older STATS. */
function decodeStats(a: Map<number, Buffer>): VirtualServerStats | undefined {
  const s64 = a.get(Svc.STATS64);
  const s = s64 ?? a.get(Svc.STATS);
  if (!s) return undefined;
  const st = parseAttributes(s);
  const n = (k: number, wide: boolean) => {
    const b = st.get(k);
    if (!b) return 0;
    return wide && b.length >= 8 ? Number(b.readBigUInt64LE(0)) : b.readUInt32LE(0);
  };
  const all64 = s64 !== undefined;
  return {
    connections: n(Stat.CONNS, all64), packetsIn: n(Stat.INPKTS, all64), packetsOut: n(Stat.OUTPKTS, all64),
    bytesIn: n(Stat.INBYTES, true), bytesOut: n(Stat.OUTBYTES, true),
    rates: { connections: n(Stat.CPS, all64), packetsIn: n(Stat.INPPS, all64), packetsOut: n(Stat.OUTPPS, all64), bytesIn: n(Stat.INBPS, all64), bytesOut: n(Stat.OUTBPS, all64) },
  };
}
