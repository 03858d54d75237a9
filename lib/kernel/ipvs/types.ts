// IPVS virtual servers and real servers as plain data, shared by the netlink adapter, the fake,
// the plan and the ipvsadm-format printer.
import { hostPort, type IpFamily } from '../../net/address.js';
import { flat } from '../../flat-string.js';

export type Protocol = 'tcp' | 'udp' | 'sctp';
export const PROTOCOL_NUMBERS: Readonly<Record<Protocol, number>> = { tcp: 6, udp: 17, sctp: 132 };

/** IP_VS_SVC_F_* */
export const SvcFlags = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  /** sh-fallback / mh-fallback */
  SCHED1: 0x8,
  /** sh-port / mh-port */
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

export type ForwardMethod = 'masq' | 'local' | 'tunnel' | 'route' | 'bypass';
export const FORWARD_METHODS: Readonly<Record<ForwardMethod, number>> = { masq: 0, local: 1, tunnel: 2, route: 3, bypass: 4 };

export interface VirtualServerKey {
  readonly family: IpFamily;
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
}

export interface VirtualServer extends VirtualServerKey {
  readonly scheduler: string;
  /** IP_VS_SVC_F_* without HASHED */
  readonly flags: number;
  /** persistence timeout in seconds; used when flags has PERSISTENT */
  readonly timeout: number;
  /** persistence netmask as a prefix length (32 or 128 for per-client persistence) */
  readonly netmask: number;
}

export interface RealServerKey {
  readonly address: string;
  readonly port: number;
}

export interface RealServer extends RealServerKey {
  readonly weight: number;
  readonly forward: ForwardMethod;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
}

/** The real servers of a virtual server as the kernel reports them (status-list.ts). */
export interface RealServerStatuses extends Iterable<RealServerStatus> {
  readonly length: number;
  /** the rsKeys when every one is masqueraded at weight 1 with no thresholds, else undefined (a packed list answers without making objects) */
  plainKeys(): string[] | undefined;
}

/** A real server as the kernel reports it, with its connection counters. */
export interface RealServerStatus extends RealServer {
  readonly activeConnections: number;
  readonly inactiveConnections: number;
  readonly persistentConnections: number;
}

/** flat: a full resync holds ~40,000 of these keys at 30,000 Services, each a tree of pieces otherwise */
export const vsKey = (k: VirtualServerKey): string => flat(`${k.protocol.toUpperCase()} ${hostPort(k.address, k.port)}`);
export const rsKey = (k: RealServerKey): string => hostPort(k.address, k.port);

export function sameVirtualServer(a: VirtualServer, b: VirtualServer): boolean {
  return vsKey(a) === vsKey(b) && a.scheduler === b.scheduler && a.flags === b.flags
    && (a.flags & SvcFlags.PERSISTENT ? a.timeout === b.timeout && a.netmask === b.netmask : true);
}

/** A virtual server's counters since it was created (the kernel's, as ipvsadm --stats shows them). */
export interface VirtualServerStats {
  readonly connections: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** the kernel's rate estimates, per second over its 2 s estimator (0 with run_estimation off) */
  readonly rates: TrafficRates;
}

export interface TrafficRates {
  readonly connections: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export const NO_TRAFFIC: VirtualServerStats = { connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, rates: { connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 } };

const addRates = (a: TrafficRates, b: TrafficRates): TrafficRates =>
  ({ connections: a.connections + b.connections, packetsIn: a.packetsIn + b.packetsIn, packetsOut: a.packetsOut + b.packetsOut, bytesIn: a.bytesIn + b.bytesIn, bytesOut: a.bytesOut + b.bytesOut });

/** Two counters summed (the virtual servers of one Service port, or more traffic). */
export function addStats(a: VirtualServerStats, b: VirtualServerStats): VirtualServerStats {
  return { ...addRates(a, b), rates: addRates(a.rates, b.rates) };
}

export interface VirtualServerWithStats {
  readonly vs: VirtualServer;
  /** undefined from a kernel that reports none */
  readonly stats: VirtualServerStats | undefined;
}

/** IPVS connection timeouts in seconds (ipvsadm --set); 0 leaves one unchanged. */
export interface IpvsTimeouts {
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

/** The operations of an IPVS table; implemented over netlink and by an in-memory fake. */
export interface Ipvs {
  listVirtualServers(): Promise<VirtualServer[]>;
  addVirtualServer(vs: VirtualServer): Promise<void>;
  updateVirtualServer(vs: VirtualServer): Promise<void>;
  deleteVirtualServer(vs: VirtualServerKey): Promise<void>;
  listRealServers(vs: VirtualServerKey): Promise<RealServerStatus[]>;
  addRealServer(vs: VirtualServerKey, rs: RealServer): Promise<void>;
  updateRealServer(vs: VirtualServerKey, rs: RealServer): Promise<void>;
  deleteRealServer(vs: VirtualServerKey, rs: RealServerKey): Promise<void>;
  /** Every real server of every virtual server at once, by vsKey (when the implementation can). */
  listAllRealServers?(): Promise<Map<string, RealServerStatuses>>;
  /** Every virtual server with its counters, in one dump. */
  listStats(): Promise<VirtualServerWithStats[]>;
  /** One virtual server with its counters, without a dump of all; undefined when there is none. */
  getVirtualServer(key: VirtualServerKey): Promise<VirtualServerWithStats | undefined>;
  close(): void;
}
