// A full resync's read of the kernel, made while change syncs go on (at tens of thousands of
// Services the read takes about a minute; a change must not wait for it). The keys those syncs
// touched meanwhile are recorded; when the resync takes its turn, what the read saw of them is
// replaced by what the kernel holds now: their virtual servers are read again (a few reads), and
// their set members and addresses are as the last sync left them. Everything else the read saw is
// still true, so planning against it repairs what was changed behind the proxy's back.
import type { DesiredAggregate, StateChanges } from '../model/aggregate.js';
import type { ObservedState } from '../plan/observed-state.js';
import type { SetState } from '../kernel/ipset/types.js';
import { vsKey, type VirtualServer } from '../kernel/ipvs/types.js';
import type { Kernel } from './kernel.js';
import { readVirtualServers } from './observe.js';
import type { Discrepancies } from './resync-check.js';

/** The keys syncs planned since a resync's read began. */
export class TouchedKeys {
  readonly virtualServers = new Map<string, VirtualServer>();
  readonly members = new Map<string, Set<string>>();
  readonly bound = new Set<string>();

  /** A change sync planned these virtual servers and the changed members and addresses. */
  add(virtualServers: Iterable<VirtualServer>, changes: StateChanges): void {
    for (const vs of virtualServers) this.virtualServers.set(vsKey(vs), vs);
    for (const [set, members] of changes.members) {
      let mine = this.members.get(set);
      if (!mine) this.members.set(set, (mine = new Set()));
      for (const m of members.keys()) mine.add(m);
    }
    for (const a of changes.bound.keys()) this.bound.add(a);
  }
}

/**
 * What the kernel holds now, from a read made earlier and the keys touched since: their virtual
 * servers read again; a touched member or address held as the last sync left it, which is the
 * model's wish unless `now` (the changes this sync takes) changed it since, then as it was.
 */
export async function currentObserved(kernel: Kernel, read: ObservedState, touched: TouchedKeys, model: DesiredAggregate, now: StateChanges): Promise<ObservedState> {
  const vss = new Map(touched.virtualServers);
  for (const [k, was] of now.virtualServers) {
    // the kernel holds it as it was before these changes (a new one is looked for as wanted)
    const vs = was?.vs ?? model.virtualServer(k)?.vs;
    if (vs) vss.set(k, vs);
  }
  const again = await readVirtualServers(kernel, [...vss.values()]);
  const virtualServers = read.virtualServers.filter((o) => !vss.has(vsKey(o.vs))).concat(again);

  const sets = new Map<string, SetState>(read.sets);
  const setNames = new Set([...touched.members.keys(), ...now.members.keys()]);
  for (const name of setNames) {
    const seen = sets.get(name);
    const spec = seen ?? model.setSpec(name);
    if (!spec) continue;
    const members = new Set(seen?.members ?? []);
    const changedNow = now.members.get(name);
    for (const m of new Set([...(touched.members.get(name) ?? []), ...(changedNow?.keys() ?? [])])) {
      const held = changedNow?.has(m) ? changedNow.get(m)! : model.wantsMember(name, m);
      if (held) members.add(m);
      else members.delete(m);
    }
    sets.set(name, { ...spec, members });
  }

  const addresses = new Set(read.link.addresses);
  for (const a of new Set([...touched.bound, ...now.bound.keys()])) {
    const held = now.bound.has(a) ? now.bound.get(a)! : model.wantsBound(a);
    if (held) addresses.add(a);
    else addresses.delete(a);
  }
  return { ...read, virtualServers, sets, link: { exists: read.link.exists, addresses: [...addresses] } };
}

/**
 * The keys a resync's turn plans, as changes from what the kernel holds: those its check found
 * different, except the ones a change sync touched since the read (that sync made them as the
 * model wanted, so they are no longer known to differ), and those that changed since (`now`), as
 * the last sync left them.
 */
export function repairChanges(found: Discrepancies, touched: TouchedKeys, now: StateChanges): StateChanges {
  const virtualServers = new Map<string, { readonly vs: VirtualServer } | undefined>();
  for (const [k, vs] of found.virtualServers) if (!touched.virtualServers.has(k)) virtualServers.set(k, vs && { vs });
  for (const [k, was] of now.virtualServers) virtualServers.set(k, was);

  const members = new Map<string, Map<string, boolean>>();
  for (const [set, held] of found.members) {
    const mine = new Map<string, boolean>();
    const since = touched.members.get(set);
    for (const [m, was] of held) if (!since?.has(m)) mine.set(m, was);
    if (mine.size > 0) members.set(set, mine);
  }
  for (const [set, changed] of now.members) {
    let mine = members.get(set);
    if (!mine) members.set(set, (mine = new Map()));
    for (const [m, was] of changed) mine.set(m, was);
  }

  const bound = new Map<string, boolean>();
  for (const [a, was] of found.bound) if (!touched.bound.has(a)) bound.set(a, was);
  for (const [a, was] of now.bound) bound.set(a, was);
  return { virtualServers, members, bound };
}
