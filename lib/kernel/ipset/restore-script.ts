// The pure part of set syncing: from the desired and the observed sets to one `ipset restore`
// script. A set is patched in place (del, then add) when that is the smaller change, and rebuilt
// with create-temp, fill, swap, destroy when not, so no reader ever sees it empty.
import { TEMP_SET, byName, createOptions, type SetSpec, type SetState } from './types.js';

export interface SyncOptions {
  /** Rebuild every set through a swap, whatever the diff (a periodic full resync). */
  readonly rebuildAll?: boolean;
  /** Never rebuild: the sets given hold only some members (a sync of changes), so a swap would drop the rest. */
  readonly patchOnly?: boolean;
}

export interface SyncSummary {
  readonly script: string;
  readonly created: number;
  readonly added: number;
  readonly deleted: number;
  readonly rebuilt: number;
}

export function buildSyncScript(desired: readonly SetState[], observed: ReadonlyMap<string, SetState>, opts: SyncOptions = {}): SyncSummary {
  const lines: string[] = [];
  let created = 0, added = 0, deleted = 0, rebuilt = 0;
  if (observed.has(TEMP_SET)) lines.push(`destroy ${TEMP_SET}`);
  for (const want of [...desired].sort(byName)) {
    const have = observed.get(want.name);
    if (!have) {
      lines.push(`create ${want.name} ${want.type} ${createOptions(want)}`);
      for (const m of sorted(want.members)) lines.push(`add ${want.name} ${m}`);
      created++;
      added += want.members.size;
      continue;
    }
    if (!compatible(have, want)) {
      // swap needs the same type and family: this set can only be replaced (fails if referenced).
      lines.push(`destroy ${want.name}`, `create ${want.name} ${want.type} ${createOptions(want)}`);
      for (const m of sorted(want.members)) lines.push(`add ${want.name} ${m}`);
      rebuilt++;
      added += want.members.size;
      continue;
    }
    const toDel = [...have.members].filter((m) => !want.members.has(m));
    const toAdd = [...want.members].filter((m) => !have.members.has(m));
    if (toDel.length + toAdd.length === 0 && !opts.rebuildAll) continue;
    // A rebuild writes the whole set plus three lines (create, swap, destroy): take the shorter.
    if (opts.rebuildAll || (!opts.patchOnly && toDel.length + toAdd.length > want.members.size + 3)) {
      lines.push(`create ${TEMP_SET} ${want.type} ${createOptions(want)}`);
      for (const m of sorted(want.members)) lines.push(`add ${TEMP_SET} ${m}`);
      lines.push(`swap ${TEMP_SET} ${want.name}`, `destroy ${TEMP_SET}`);
      rebuilt++;
    } else {
      for (const m of toDel.sort()) lines.push(`del ${want.name} ${m} -exist`);
      for (const m of toAdd.sort()) lines.push(`add ${want.name} ${m} -exist`);
    }
    added += toAdd.length;
    deleted += toDel.length;
  }
  return { script: lines.length ? `${lines.join('\n')}\n` : '', created, added, deleted, rebuilt };
}

/**
 * The additive half of a sync: create missing sets and add missing members, nothing removed.
 * Run before the iptables write so new Services are covered at once; the removals (the
 * buildSyncScript against `after`) run once the virtual servers they describe are gone, so an
 * interrupted sync leaves stale virtual servers still recorded in the sets (and attributable).
 */
export function buildAddScript(desired: readonly SetState[], observed: ReadonlyMap<string, SetState>): { script: string; after: Map<string, SetState> } {
  const lines: string[] = [];
  const after = new Map(observed);
  for (const want of [...desired].sort(byName)) {
    const have = observed.get(want.name);
    if (have && !compatible(have, want)) continue; // replaced by the sync script
    if (!have) lines.push(`create ${want.name} ${want.type} ${createOptions(want)}`);
    const toAdd = have ? [...want.members].filter((m) => !have.members.has(m)) : [...want.members];
    for (const m of toAdd.sort()) lines.push(`add ${want.name} ${m} -exist`);
    if (!have || toAdd.length > 0) after.set(want.name, { ...want, members: new Set([...(have?.members ?? []), ...toAdd]) });
  }
  return { script: lines.length ? `${lines.join('\n')}\n` : '', after };
}

const compatible = (a: SetSpec, b: SetSpec) => a.type === b.type && a.family === b.family;
const sorted = (s: ReadonlySet<string>) => [...s].sort();
