// A periodic resync's comparison of its read with the model, made outside the turn of syncs and
// in slices that yield to them: at 30,000 Services comparing everything takes seconds of CPU in
// the VM, and a change must not wait for it. What it finds different, key by key, with what the
// kernel held, is all the resync's turn needs to plan (see repairChanges in resync-read.ts).
import type { DesiredAggregate } from '../model/aggregate.js';
import type { ObservedState, ObservedVirtualServer } from '../plan/observed-state.js';
import { tableKey } from '../plan/observed-state.js';
import { realServersUnchanged, tableUpToDate } from '../plan/plan.js';
import { ownership } from '../plan/ownership.js';
import { compatible } from '../plan/set-changes.js';
import { TEMP_SET } from '../kernel/ipset/types.js';
import { sameVirtualServer, vsKey, type VirtualServer } from '../kernel/ipvs/types.js';

/** What a read of the kernel holds differently from the model: each key with what the kernel held. */
export interface Discrepancies {
  /** vsKey -> the kernel's virtual server (undefined: it had none) */
  readonly virtualServers: Map<string, VirtualServer | undefined>;
  /** set name -> member -> whether the kernel held it */
  readonly members: Map<string, Map<string, boolean>>;
  /** address -> whether it was bound to kube-ipvs0 */
  readonly bound: Map<string, boolean>;
  /** tables ("4/nat") whose rules differ */
  readonly tables: Set<string>;
  /**
   * why patching keys cannot repair it (kube-ipvs0 gone, a set gone or of another type, a
   * temporary set left behind): the turn plans everything against the read
   */
  whole?: string;
}

/** Time slices of a long computation, between which the event loop runs what waits. */
export class Slices {
  private start = performance.now();
  constructor(private readonly sliceMs: number) {}
  /** This slice's time is up (checked often: a clock read is cheap, an await is not). */
  due(): boolean { return performance.now() - this.start >= this.sliceMs; }
  /** Let what waits run, then start a new slice. */
  async next(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.start = performance.now();
  }
}

/**
 * The keys where `read` differs from `model`, and the tables: what a full plan of the one against
 * the other would change. Kernel virtual servers not attributable to the proxy are left out, as
 * the plan leaves them alone.
 */
export async function findDiscrepancies(read: ObservedState, model: DesiredAggregate, excludeCidrs: readonly string[], slices: Slices): Promise<Discrepancies> {
  const found: Discrepancies = { virtualServers: new Map(), members: new Map(), bound: new Map(), tables: new Set() };
  if (!read.link.exists) return { ...found, whole: 'kube-ipvs0 is missing' };
  if (read.sets.has(TEMP_SET)) return { ...found, whole: `set ${TEMP_SET} was left behind` };

  for (const fam of model.iptables()) {
    for (const t of fam.tables) {
      const saved = read.iptables.find((s) => s.family === fam.family && s.table === t.table)?.saved ?? '';
      if (!tableUpToDate(t, saved)) found.tables.add(tableKey(fam.family, t.table));
    }
  }

  for (const { spec, members } of model.wantedSets()) {
    const have = read.sets.get(spec.name);
    if (!have || !compatible(have, spec)) return { ...found, whole: `set ${spec.name} is missing or of another type` };
    const differ = await differences(members, have.members, slices);
    if (differ.size > 0) found.members.set(spec.name, differ);
  }
  for (const [a, held] of await differences(new Set(model.boundAddresses()), new Set(read.link.addresses), slices)) found.bound.set(a, held);

  const have = new Map<string, ObservedVirtualServer>();
  for (const o of read.virtualServers) { have.set(vsKey(o.vs), o); if (slices.due()) await slices.next(); }
  for (const key of model.virtualServerKeys()) {
    if (slices.due()) await slices.next();
    // the model may have changed while paused: a key gone now is not wanted
    const d = model.virtualServer(key);
    if (!d) continue;
    const cur = have.get(key);
    if (!cur) found.virtualServers.set(key, undefined);
    else if (!sameVirtualServer(cur.vs, d.vs) || !realServersUnchanged(cur.realServers, d.realServers)) found.virtualServers.set(key, cur.vs);
  }
  const owner = ownership(read, excludeCidrs);
  for (const [key, o] of have) {
    if (slices.due()) await slices.next();
    if (!model.virtualServer(key) && owner.owns(o.vs)) found.virtualServers.set(key, o.vs);
  }
  return found;
}

/** The members on one side only, each with whether the kernel held it. */
async function differences(wanted: ReadonlySet<string>, held: ReadonlySet<string>, slices: Slices): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for (const m of wanted) { if (!held.has(m)) out.set(m, false); if (slices.due()) await slices.next(); }
  for (const m of held) { if (!wanted.has(m)) out.set(m, true); if (slices.due()) await slices.next(); }
  return out;
}
