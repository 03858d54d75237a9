// `ipvs-proxy cleanup`: remove what Kubernetes service proxying left on a node (ours, or kube-proxy
// IPVS mode's, which uses the same names): its virtual servers, the jump rules and KUBE-* chains
// it owns, its KUBE-* sets and kube-ipvs0. Unlike upstream's cleanup (which flushes all of IPVS),
// a virtual server is removed only when it is attributable to service proxying and outside
// --exclude-cidrs: other IPVS users on the node are left alone.
import type { IpFamily } from '../net/address.js';
import { vsKey, type VirtualServerKey } from '../kernel/ipvs/types.js';
import { KUBE_IPVS0 } from '../kernel/links/types.js';
import { allKubeSetNames } from '../model/kube-sets.js';
import { TEMP_SET } from '../kernel/ipset/types.js';
import { JUMP_RULES, OWNED_CHAINS } from '../model/skeleton.js';
import { jumpRuleText } from '../kernel/iptables/save-text.js';
import type { Table } from '../kernel/iptables/types.js';
import { ownership } from '../plan/ownership.js';
import type { Kernel } from '../sync/kernel.js';
import { observe } from '../sync/observe.js';
import type { Logger } from '../log.js';

export interface CleanupPlan {
  readonly virtualServers: readonly VirtualServerKey[];
  /** per family and table: the jump rules and owned chains present */
  readonly tables: ReadonlyArray<{ readonly family: IpFamily; readonly table: Table; readonly jumps: readonly string[]; readonly chains: readonly string[] }>;
  readonly sets: readonly string[];
  readonly link: boolean;
  /** virtual servers left alone (not attributable, or excluded) */
  readonly kept: readonly VirtualServerKey[];
}

export async function planCleanup(kernel: Kernel, families: readonly IpFamily[], excludeCidrs: readonly string[]): Promise<CleanupPlan> {
  const observed = await observe(kernel, families);
  const owner = ownership(observed, excludeCidrs);
  const vss = observed.virtualServers.map((o) => o.vs);
  const tables = observed.iptables.map(({ family, table, saved }) => {
    const lines = new Set(saved.split('\n').map((l) => l.trim()));
    return {
      family, table,
      jumps: JUMP_RULES.filter((j) => j.table === table && lines.has(jumpRuleText(j))).map(jumpRuleText),
      chains: (OWNED_CHAINS[table] as readonly string[]).filter((c) => [...lines].some((l) => l.startsWith(`:${c} `))),
    };
  }).filter((t) => t.jumps.length + t.chains.length > 0);
  const kube = new Set([...allKubeSetNames(), TEMP_SET]);
  return {
    virtualServers: vss.filter((v) => owner.owns(v)),
    kept: vss.filter((v) => !owner.owns(v)),
    tables,
    sets: [...observed.sets.keys()].filter((n) => kube.has(n)).sort(),
    link: observed.link.exists,
  };
}

export function describeCleanup(p: CleanupPlan): string[] {
  const fam = (f: IpFamily) => (f === 4 ? 'IPv4' : 'IPv6');
  return [
    ...p.virtualServers.map((v) => `delete virtual server ${vsKey(v)}`),
    ...p.tables.flatMap((t) => [
      ...t.jumps.map((j) => `delete ${fam(t.family)} ${t.table} rule ${j.replace(/^-A /, '')}`),
      ...t.chains.map((c) => `delete ${fam(t.family)} ${t.table} chain ${c}`),
    ]),
    ...p.sets.map((s) => `destroy set ${s}`),
    ...(p.link ? [`delete link ${KUBE_IPVS0}`] : []),
  ];
}

export interface CleanupResult {
  readonly removed: number;
  readonly failed: ReadonlyArray<{ readonly what: string; readonly error: string }>;
}

/** Virtual servers first (traffic stops being balanced), then rules, then the sets they used, then the link. */
export async function applyCleanup(kernel: Kernel, p: CleanupPlan, log: Logger): Promise<CleanupResult> {
  let removed = 0;
  const failed: Array<{ what: string; error: string }> = [];
  const step = async (what: string, count: number, fn: () => Promise<void>) => {
    try {
      await fn();
      removed += count;
      log.info(what);
    } catch (e) {
      failed.push({ what, error: (e as Error).message });
      log.error({ err: (e as Error).message }, `failed: ${what}`);
    }
  };
  for (const v of p.virtualServers) await step(`delete virtual server ${vsKey(v)}`, 1, () => kernel.ipvs.deleteVirtualServer(v));
  for (const t of p.tables) {
    // One restore per table: jumps deleted, then each chain flushed and deleted.
    const input = [`*${t.table}`, ...t.jumps.map((j) => j.replace(/^-A /, '-D ')), ...t.chains.map((c) => `-F ${c}`), ...t.chains.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
    await step(`delete IPv${t.family} ${t.table} rules and chains`, t.jumps.length + t.chains.length, () => kernel.iptables.restore(t.family, t.table, input));
  }
  if (p.sets.length > 0) await step(`destroy ${p.sets.length} sets`, p.sets.length, () => kernel.ipsets.restore(p.sets.map((s) => `destroy ${s}\n`).join('')));
  if (p.link) await step(`delete link ${KUBE_IPVS0}`, 1, () => kernel.links.deleteLink(KUBE_IPVS0));
  return { removed, failed };
}
