// An in-memory IPVS table that answers like the kernel, errors included (EEXIST on a duplicate,
// ESRCH for a missing virtual server, ENOENT for a missing real server or scheduler), for unit
// tests of everything above the adapter.
import { KernelError } from '../../lib/kernel/errors.js';
import { formatIpvsadmSave } from '../../lib/kernel/ipvs/ipvsadm-format.js';
import { RealServerStatusList, statusEntry } from '../../lib/kernel/ipvs/status-list.js';
import {
  NO_TRAFFIC, SvcFlags, addStats, rsKey, vsKey,
  type Ipvs, type RealServer, type RealServerKey, type RealServerStatus, type VirtualServer, type VirtualServerKey, type VirtualServerStats, type VirtualServerWithStats,
} from '../../lib/kernel/ipvs/types.js';

const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos']);

interface Entry { vs: VirtualServer; dests: Map<string, RealServerStatus>; stats: VirtualServerStats }

export class FakeIpvs implements Ipvs {
  private readonly table = new Map<string, Entry>();
  /** Every call, in order, as "operation object" (for tests that count kernel work). */
  readonly calls: string[] = [];

  async listVirtualServers(): Promise<VirtualServer[]> {
    this.calls.push('list virtual servers');
    return [...this.table.values()].map((e) => e.vs);
  }

  async getVirtualServer(key: VirtualServerKey): Promise<VirtualServerWithStats | undefined> {
    this.calls.push(`get virtual server ${vsKey(key)}`);
    const e = this.table.get(vsKey(key));
    return e && { vs: e.vs, stats: e.stats };
  }

  async addVirtualServer(vs: VirtualServer): Promise<void> {
    const op = 'add virtual server';
    this.calls.push(`${op} ${vsKey(vs)}`);
    checkService(op, vs);
    if (this.table.has(vsKey(vs))) throw new KernelError('EEXIST', op, vsKey(vs));
    this.table.set(vsKey(vs), { vs: normalize(vs), dests: new Map(), stats: NO_TRAFFIC });
  }

  async updateVirtualServer(vs: VirtualServer): Promise<void> {
    const op = 'update virtual server';
    this.calls.push(`${op} ${vsKey(vs)}`);
    checkService(op, vs);
    this.entry(op, vs).vs = normalize(vs);
  }

  async deleteVirtualServer(vs: VirtualServerKey): Promise<void> {
    const op = 'delete virtual server';
    this.calls.push(`${op} ${vsKey(vs)}`);
    this.entry(op, vs);
    this.table.delete(vsKey(vs));
  }

  async listRealServers(vs: VirtualServerKey): Promise<RealServerStatus[]> {
    const op = 'list real servers of';
    this.calls.push(`${op} ${vsKey(vs)}`);
    return [...this.entry(op, vs).dests.values()];
  }

  async addRealServer(vs: VirtualServerKey, rs: RealServer): Promise<void> {
    const op = 'add real server';
    const obj = `${rsKey(rs)} to ${vsKey(vs)}`;
    this.calls.push(`${op} ${obj}`);
    const e = this.entry(op, vs, obj);
    checkDest(op, obj, rs);
    if (e.dests.has(rsKey(rs))) throw new KernelError('EEXIST', op, obj);
    e.dests.set(rsKey(rs), { ...pickRs(rs), activeConnections: 0, inactiveConnections: 0, persistentConnections: 0 });
  }

  async updateRealServer(vs: VirtualServerKey, rs: RealServer): Promise<void> {
    const op = 'update real server';
    const obj = `${rsKey(rs)} of ${vsKey(vs)}`;
    this.calls.push(`${op} ${obj}`);
    const e = this.entry(op, vs, obj);
    checkDest(op, obj, rs);
    const cur = e.dests.get(rsKey(rs));
    if (!cur) throw new KernelError('ENOENT', op, obj);
    e.dests.set(rsKey(rs), { ...cur, ...pickRs(rs) });
  }

  async deleteRealServer(vs: VirtualServerKey, rs: RealServerKey): Promise<void> {
    const op = 'delete real server';
    const obj = `${rsKey(rs)} of ${vsKey(vs)}`;
    this.calls.push(`${op} ${obj}`);
    const e = this.entry(op, vs, obj);
    if (!e.dests.delete(rsKey(rs))) throw new KernelError('ENOENT', op, obj);
  }

  /** As the real adapter reads /proc/net/ip_vs: packed lists, without thresholds (the file has none). */
  async listAllRealServers(): Promise<Map<string, RealServerStatusList>> {
    this.calls.push('list all real servers');
    return new Map([...this.table].map(([k, e]) => [k, RealServerStatusList.of([...e.dests.values()]
      .map((d) => statusEntry(d.address, d.port, d.forward, d.weight, d.activeConnections, d.inactiveConnections)))]));
  }

  /** Counters start at zero when a virtual server is created, as in the kernel. */
  async listStats(): Promise<VirtualServerWithStats[]> {
    this.calls.push('list virtual server counters');
    return [...this.table.values()].map((e) => ({ vs: e.vs, stats: e.stats }));
  }

  close(): void {}

  /** Test hook: traffic through a virtual server, added to its counters. */
  addTraffic(vs: VirtualServerKey, t: VirtualServerStats): void {
    const e = this.entry('add traffic', vs);
    e.stats = addStats(e.stats, t);
  }

  /** Test hook: the connection counters the kernel would report. */
  setConnections(vs: VirtualServerKey, rs: RealServerKey, active: number, inactive: number): void {
    const { dests } = this.entry('set connections', vs);
    const d = dests.get(rsKey(rs));
    if (!d) throw new KernelError('ENOENT', 'set connections', rsKey(rs));
    dests.set(rsKey(rs), { ...d, activeConnections: active, inactiveConnections: inactive });
  }

  /** The table as `ipvsadm -Sn` prints it. */
  save(): string {
    return formatIpvsadmSave([...this.table.values()].map((e) => ({ vs: e.vs, realServers: [...e.dests.values()] })));
  }

  private entry(op: string, vs: VirtualServerKey, obj = vsKey(vs)): Entry {
    const e = this.table.get(vsKey(vs));
    if (!e) throw new KernelError('ESRCH', op, obj);
    return e;
  }
}

function checkService(op: string, vs: VirtualServer): void {
  if (!SCHEDULERS.has(vs.scheduler)) throw new KernelError('ENOENT', op, vsKey(vs), `scheduler ${vs.scheduler} not found`);
  if (vs.port < 0 || vs.port > 65535) throw new KernelError('EINVAL', op, vsKey(vs));
  if (vs.family === 6 && (vs.netmask < 1 || vs.netmask > 128)) throw new KernelError('EINVAL', op, vsKey(vs), 'netmask');
}

function checkDest(op: string, obj: string, rs: RealServer): void {
  if (rs.weight < 0 || rs.weight > 0x7fffffff) throw new KernelError('ERANGE', op, obj, 'weight');
  if (rs.lowerThreshold > rs.upperThreshold) throw new KernelError('ERANGE', op, obj, 'thresholds');
}

const normalize = (vs: VirtualServer): VirtualServer => ({ ...vs, flags: vs.flags & ~SvcFlags.HASHED });
const pickRs = (rs: RealServer): RealServer => ({
  address: rs.address, port: rs.port, weight: rs.weight, forward: rs.forward,
  upperThreshold: rs.upperThreshold, lowerThreshold: rs.lowerThreshold,
});
