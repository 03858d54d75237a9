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

/** One iptables-restore --noflush of a table, as data until an adapter writes it; all of it or nothing applies. */
export interface TableWrite {
  readonly table: Table;
  /** chains declared: created, or flushed when present */
  readonly chains: readonly string[];
  /** jump rules inserted at the top of their built-in chain */
  readonly insertJumps: readonly JumpRule[];
  /** "-A CHAIN ..." rules appended, in iptables-save's spelling */
  readonly rules: readonly string[];
  /** jump rules deleted */
  readonly deleteJumps: readonly JumpRule[];
  /** chains flushed, then deleted */
  readonly deleteChains: readonly string[];
}

/** A write with only the parts given. */
export const tableWrite = (table: Table, parts: Partial<Omit<TableWrite, 'table'>>): TableWrite =>
  ({ table, chains: [], insertJumps: [], rules: [], deleteJumps: [], deleteChains: [], ...parts });

export interface Iptables {
  /** iptables-save of one table. */
  save(family: IpFamily, table: Table): Promise<string>;
  /** One iptables-restore --noflush of the write. */
  write(family: IpFamily, write: TableWrite): Promise<void>;
}

export type Backend = 'nft' | 'legacy';
