// ipsets as plain data: what a set is, what is in it, and the adapter interface.
import type { IpFamily } from '../../net/address.js';

export type SetType = 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'bitmap:port';

export interface SetSpec {
  readonly name: string;
  readonly type: SetType;
  /** bitmap:port sets have no family; they are listed as 4 */
  readonly family: IpFamily;
}

export interface SetState extends SetSpec {
  /** entries in ipset's canonical text, e.g. "10.96.0.1,tcp:443" */
  readonly members: ReadonlySet<string>;
}

/** One change of a set, as data until an adapter writes it; adds and deletes of present or absent members are no-ops. */
export type SetChange =
  | { readonly op: 'create'; readonly set: SetSpec }
  | { readonly op: 'add'; readonly set: string; readonly members: readonly string[] }
  | { readonly op: 'del'; readonly set: string; readonly members: readonly string[] }
  /** exchange the contents of two sets of the same type and family */
  | { readonly op: 'swap'; readonly set: string; readonly with: string }
  | { readonly op: 'destroy'; readonly set: string };

export interface Ipsets {
  /** Every set whose name starts with KUBE- (ours and kube-proxy's), with members. */
  list(): Promise<Map<string, SetState>>;
  /** Carry out changes in order, as one `ipset restore`. Fails at the first bad one (KernelError naming its line); earlier changes stay. */
  apply(changes: readonly SetChange[]): Promise<void>;
}

export const OWNED_PREFIX = 'KUBE-';
/** The scratch set of atomic rebuilds; a leftover one (after a crash) is destroyed first. */
export const TEMP_SET = 'KUBE-IPVS-PROXY-TMP';

export function createOptions(spec: SetSpec): string {
  if (spec.type === 'bitmap:port') return 'range 0-65535';
  return `family ${spec.family === 6 ? 'inet6' : 'inet'} hashsize 1024 maxelem 65536`;
}

/** Sets in name order, by code unit (not localeCompare: the same order everywhere, and no ICU collation data paged in, ~3 MB). */
export const byName = (a: { readonly name: string }, b: { readonly name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
