// The kernel as the sync loop sees it: one adapter per object kind, real or fake.
import type { Ipvs } from '../kernel/ipvs/types.js';
import type { Links } from '../kernel/links/types.js';
import type { Ipsets } from '../kernel/ipset/types.js';
import type { Iptables } from '../kernel/iptables/types.js';
import type { Conntrack } from '../kernel/conntrack/conntrack.js';

export interface Kernel {
  readonly ipvs: Ipvs;
  readonly links: Links;
  readonly ipsets: Ipsets;
  readonly iptables: Iptables;
  /** absent: conntrack entries are left to time out */
  readonly conntrack?: Conntrack;
}
