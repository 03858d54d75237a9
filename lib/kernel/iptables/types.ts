// iptables as the proxy uses it: a few owned chains per table, rewritten whole with one
// iptables-restore --noflush, and jump rules from the built-in chains inserted when missing.
import type { IpFamily } from '../../net/address.js';

export type Table = 'nat' | 'filter';

export interface JumpRule {
  readonly table: Table;
  readonly from: string;
  readonly to: string;
  readonly comment: string;
}

/** What one table should hold: the owned chains (flushed and refilled), the jumps into them, and their rules. */
export interface TableRules {
  readonly table: Table;
  readonly chains: readonly string[];
  /** jumps from built-in chains of this table, inserted at the top when missing */
  readonly jumps: readonly JumpRule[];
  /** "-A CHAIN ..." lines in iptables-save's spelling */
  readonly rules: readonly string[];
}

export interface Iptables {
  /** iptables-save of one table. */
  save(family: IpFamily, table: Table): Promise<string>;
  /** One iptables-restore --noflush of a whole table's input. */
  restore(family: IpFamily, table: Table, input: string): Promise<void>;
}

export type Backend = 'nft' | 'legacy';
