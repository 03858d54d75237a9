// The operations a plan is made of, as plain data, and their one-line descriptions for logs.
import type { IpFamily } from '../net/address.js';
import { hostPort } from '../net/address.js';
import { rsKey, vsKey, type RealServer, type RealServerKey, type VirtualServer, type VirtualServerKey } from '../kernel/ipvs/types.js';
import type { TableWrite } from '../kernel/iptables/types.js';
import type { SetChange } from '../kernel/ipset/types.js';
import { setChangeCount } from './set-changes.js';
import type { FlowFilter } from '../kernel/conntrack/conntrack.js';
import type { RealServerList } from '../model/real-server-list.js';

export type Operation =
  | { readonly kind: 'ensure-link'; readonly link: string }
  | { readonly kind: 'add-virtual-server'; readonly vs: VirtualServer; readonly service?: string }
  | { readonly kind: 'update-virtual-server'; readonly vs: VirtualServer; readonly service?: string }
  | { readonly kind: 'delete-virtual-server'; readonly vs: VirtualServerKey }
  | { readonly kind: 'add-real-server'; readonly vs: VirtualServerKey; readonly rs: RealServer; readonly service?: string }
  /**
   * Every real server of a new virtual server, carried out as one add-real-server each: the list
   * is the model's own, where as operations of their own the real servers of a cold sync would
   * be held twice through the apply phase.
   */
  | { readonly kind: 'add-real-servers'; readonly vs: VirtualServerKey; readonly realServers: RealServerList; readonly service?: string }
  | { readonly kind: 'update-real-server'; readonly vs: VirtualServerKey; readonly rs: RealServer; readonly service?: string; readonly reason?: string }
  | { readonly kind: 'delete-real-server'; readonly vs: VirtualServerKey; readonly rs: RealServerKey; readonly service?: string; readonly reason?: string }
  | { readonly kind: 'bind-address'; readonly link: string; readonly address: string }
  | { readonly kind: 'unbind-address'; readonly link: string; readonly address: string }
  | { readonly kind: 'delete-link'; readonly link: string }
  | { readonly kind: 'ipset-restore'; readonly phase: 'add' | 'remove'; readonly changes: readonly SetChange[] }
  | { readonly kind: 'iptables-restore'; readonly family: IpFamily; readonly write: TableWrite }
  | { readonly kind: 'delete-conntrack'; readonly filter: FlowFilter; readonly service?: string };

export type OperationKind = Operation['kind'];
/** An operation as the kernel carries it out: a list of real servers is one add-real-server each. */
export type SingleOperation = Exclude<Operation, { readonly kind: 'add-real-servers' }>;

/**
 * Operations whose failure stops the rest of the plan: everything after them either relies on
 * them or removes state (removal waits until the new rules are in, as upstream does).
 */
export const isCritical = (op: Operation) => op.kind === 'ipset-restore' || op.kind === 'iptables-restore' || op.kind === 'ensure-link';

/** The kernel operations a plan stands for (an add-real-servers is one per real server). */
export function operationCount(ops: readonly Operation[]): number {
  let n = 0;
  for (const op of ops) n += op.kind === 'add-real-servers' ? op.realServers.length : 1;
  return n;
}

export function describe(op: Operation): string {
  switch (op.kind) {
    case 'ensure-link': return `ensure link ${op.link}`;
    case 'add-virtual-server': return `add virtual server ${vsKey(op.vs)} ${op.vs.scheduler}`;
    case 'update-virtual-server': return `update virtual server ${vsKey(op.vs)} ${op.vs.scheduler}`;
    case 'delete-virtual-server': return `delete virtual server ${vsKey(op.vs)}`;
    case 'add-real-server': return `add real server ${rsKey(op.rs)} to ${vsKey(op.vs)}`;
    case 'add-real-servers': return `add ${op.realServers.length} real servers to ${vsKey(op.vs)}`;
    case 'update-real-server': return `set weight ${op.rs.weight} on real server ${rsKey(op.rs)} of ${vsKey(op.vs)}${op.reason ? ` (${op.reason})` : ''}`;
    case 'delete-real-server': return `delete real server ${rsKey(op.rs)} of ${vsKey(op.vs)}${op.reason ? ` (${op.reason})` : ''}`;
    case 'bind-address': return `bind ${op.address} to ${op.link}`;
    case 'unbind-address': return `unbind ${op.address} from ${op.link}`;
    case 'delete-link': return `delete link ${op.link}`;
    case 'ipset-restore': return `ipset restore (${op.phase}, ${setChangeCount(op.changes)} lines)`;
    case 'iptables-restore': return `ip${op.family === 6 ? '6' : ''}tables-restore ${op.write.table}`;
    case 'delete-conntrack': return `delete ${op.filter.protocol} conntrack entries to ${hostPort(op.filter.vip, op.filter.vport)}${op.filter.realServer ? ` answered by ${op.filter.realServer}` : ''}`;
  }
}
