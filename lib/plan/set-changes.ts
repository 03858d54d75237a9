// The pure part of set syncing: from the desired and the observed sets to the changes that make
// one into the other. A set is patched in place (del, then add) when that is the smaller change,
// and rebuilt with create-temp, fill, swap, destroy when not, so no reader ever sees it empty.
import { TEMP_SET, byName, type SetChange, type SetSpec, type SetState } from '../kernel/ipset/types.js';

export interface SyncOptions {
  /** Rebuild every set through a swap, whatever the diff (a periodic full resync). */
  readonly rebuildAll?: boolean;
  /** Never rebuild: the sets given hold only some members (a sync of changes), so a swap would drop the rest. */
  readonly patchOnly?: boolean;
}

export interface SetSync {
  readonly changes: readonly SetChange[];
  readonly created: number;
  readonly added: number;
  readonly deleted: number;
  readonly rebuilt: number;
}

export function syncSets(desired: readonly SetState[], observed: ReadonlyMap<string, SetState>, opts: SyncOptions = {}): SetSync {
  const changes: SetChange[] = [];
  let created = 0, added = 0, deleted = 0, rebuilt = 0;
  const fill = (set: string, members: ReadonlySet<string>) => { if (members.size > 0) changes.push({ op: 'add', set, members: sorted(members) }); };
  if (observed.has(TEMP_SET)) changes.push({ op: 'destroy', set: TEMP_SET });
  for (const want of [...desired].sort(byName)) {
    const have = observed.get(want.name);
    if (!have) {
      changes.push({ op: 'create', set: spec(want) });
      fill(want.name, want.members);
      created++;
      added += want.members.size;
      continue;
    }
    if (!compatible(have, want)) {
      // swap needs the same type and family: this set can only be replaced (fails if referenced).
      changes.push({ op: 'destroy', set: want.name }, { op: 'create', set: spec(want) });
      fill(want.name, want.members);
      rebuilt++;
      added += want.members.size;
      continue;
    }
    const toDel = [...have.members].filter((m) => !want.members.has(m));
    const toAdd = [...want.members].filter((m) => !have.members.has(m));
    if (toDel.length + toAdd.length === 0 && !opts.rebuildAll) continue;
    // A rebuild writes the whole set plus three commands (create, swap, destroy): take the shorter.
    if (opts.rebuildAll || (!opts.patchOnly && toDel.length + toAdd.length > want.members.size + 3)) {
      changes.push({ op: 'create', set: { ...spec(want), name: TEMP_SET } });
      fill(TEMP_SET, want.members);
      changes.push({ op: 'swap', set: TEMP_SET, with: want.name }, { op: 'destroy', set: TEMP_SET });
      rebuilt++;
    } else {
      if (toDel.length > 0) changes.push({ op: 'del', set: want.name, members: toDel.sort() });
      if (toAdd.length > 0) changes.push({ op: 'add', set: want.name, members: toAdd.sort() });
    }
    added += toAdd.length;
    deleted += toDel.length;
  }
  return { changes, created, added, deleted, rebuilt };
}

/**
 * The additive half of a sync: create missing sets and add missing members, nothing removed.
 * Run before the iptables write so new Services are covered at once; the removals (syncSets
 * against `after`) run once the virtual servers they describe are gone, so an interrupted sync
 * leaves stale virtual servers still recorded in the sets (and attributable).
 */
export function addToSets(desired: readonly SetState[], observed: ReadonlyMap<string, SetState>): { changes: SetChange[]; after: Map<string, SetState> } {
  const changes: SetChange[] = [];
  const after = new Map(observed);
  for (const want of [...desired].sort(byName)) {
    const have = observed.get(want.name);
    if (have && !compatible(have, want)) continue; // replaced by syncSets
    if (!have) changes.push({ op: 'create', set: spec(want) });
    const toAdd = have ? [...want.members].filter((m) => !have.members.has(m)) : [...want.members];
    if (toAdd.length > 0) changes.push({ op: 'add', set: want.name, members: toAdd.sort() });
    if (!have || toAdd.length > 0) after.set(want.name, { ...want, members: new Set([...(have?.members ?? []), ...toAdd]) });
  }
  return { changes, after };
}

/** The kernel commands the changes stand for (a member added or deleted is one). */
export function setChangeCount(changes: readonly SetChange[]): number {
  let n = 0;
  for (const c of changes) n += c.op === 'add' || c.op === 'del' ? c.members.length : 1;
  return n;
}

const spec = (s: SetSpec): SetSpec => ({ name: s.name, type: s.type, family: s.family });
/** A set of one spec can be swapped with or patched into a set of the other. */
export const compatible = (a: SetSpec, b: SetSpec) => a.type === b.type && a.family === b.family;
const sorted = (s: ReadonlySet<string>) => [...s].sort();
