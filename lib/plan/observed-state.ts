// The kernel state a sync starts from, read with one dump per object kind.
import type { IpFamily } from '../net/address.js';
import type { RealServerStatuses, VirtualServer } from '../kernel/ipvs/types.js';
import type { SetState } from '../kernel/ipset/types.js';
import type { Table } from '../kernel/iptables/types.js';

export interface ObservedVirtualServer {
  readonly vs: VirtualServer;
  readonly realServers: RealServerStatuses;
}

export interface ObservedState {
  /** every virtual server on the host, ours or not */
  readonly virtualServers: readonly ObservedVirtualServer[];
  readonly link: { readonly exists: boolean; readonly addresses: readonly string[] };
  /** the KUBE-* sets */
  readonly sets: ReadonlyMap<string, SetState>;
  /** iptables-save text of each family and table */
  readonly iptables: ReadonlyArray<{ readonly family: IpFamily; readonly table: Table; readonly saved: string }>;
  /** tables ("4/nat") the last sync left holding exactly the desired rules: not read again, not rewritten */
  readonly verifiedTables?: ReadonlySet<string>;
  /** vsKeys of virtual servers the last sync left programmed: ours by construction */
  readonly created?: ReadonlySet<string>;
}

export const tableKey = (family: IpFamily, table: Table) => `${family}/${table}`;

export const EMPTY_OBSERVED: ObservedState = { virtualServers: [], link: { exists: false, addresses: [] }, sets: new Map(), iptables: [] };
