// The model, recomputed only where objects changed. Objects are grouped by the Service they
// belong to (a Service and the EndpointSlices labelled with its name); each group's share of the
// desired state is kept with the objects it came from (by identity: an informer hands back the
// same object until it changes) in a DesiredAggregate. build() takes every object and reuses
// unchanged groups; update() takes only the groups a source says changed, so an endpoint change
// costs one Service. An update gives the state a build of the same objects gives (property-tested).
import type { DesiredState, Problem } from './desired-state.js';
import type { NodeFacts } from './node.js';
import type { ModelConfig } from './config.js';
import { admitService, admitSlice, groupByName } from './admit.js';
import { sliceOwnerId, type ServiceObject, type SliceObject, type Snapshot } from './objects.js';
import { nodeView, serviceState, type NodeView } from './service-state.js';
import { DesiredAggregate, type StateChanges } from './aggregate.js';
import { exact } from './exact-array.js';
import { serviceId } from './service.js';

/** The objects of one group: the Service objects of a namespace/name (normally one) and its slices. */
export interface ObjectGroup {
  readonly services: readonly ServiceObject[];
  readonly slices: readonly SliceObject[];
}

// Only the objects' identities are kept (the source keeps the objects), to tell which groups
// changed. A group's one Service and one slice (nearly every group) are kept as themselves: an
// array costs 56 bytes. A Set only for the rare Service with many slices.
interface Entry { readonly services: Kept<ServiceObject>; readonly slices: Kept<SliceObject> | ReadonlySet<SliceObject> }
/** one object as itself, else an array of them */
type Kept<T> = T | readonly T[];

const EMPTY: ObjectGroup = { services: [], slices: [] };
/** the share holding the problems of slices named twice in one snapshot (only a file can do that) */
const DUPLICATE_SLICES = '';

export class ModelCache {
  private entries = new Map<string, Entry>();
  private agg: DesiredAggregate | undefined;
  private config: ModelConfig | undefined;
  private configKey = '';
  private view: NodeView | undefined;
  private viewKey = '';
  /** the node view changed: every group is computed again */
  private stale = false;
  /** the aggregate was created anew since the last takeChanges(): its changes describe no kernel */
  private fresh = true;
  /** groups computed again in the last build or update (for tests and metrics) */
  recomputed = 0;

  /** From every object: groups whose objects are the same ones as last time are not recomputed. */
  build(snapshot: Snapshot, node: NodeFacts, config: ModelConfig): DesiredState {
    return this.rebuild(snapshot, node, config).state();
  }

  /** build() without computing the whole state (a full sync asks the aggregate for it, once). */
  rebuild(snapshot: Snapshot, node: NodeFacts, config: ModelConfig): DesiredAggregate {
    const agg = this.prepare(node, config);
    const groups = new Map<string, { services: ServiceObject[]; slices: SliceObject[] }>();
    const group = (id: string) => { let g = groups.get(id); if (!g) groups.set(id, (g = { services: [], slices: [] })); return g; };
    for (const o of snapshot.services) group(serviceId(o)).services.push(o);
    const duplicates: Problem[] = [];
    for (const [, objs] of groupByName(snapshot.endpointSlices)) {
      if (objs.length > 1) duplicates.push(...admitSlice(objs).problems);
      else group(sliceOwnerId(objs[0]!)).slices.push(objs[0]!);
    }
    this.recomputed = 0;
    for (const id of [...this.entries.keys()]) if (!groups.has(id)) this.refresh(id, EMPTY);
    for (const [id, g] of groups) this.refresh(id, g);
    agg.set(DUPLICATE_SLICES, duplicates.length ? { problems: duplicates } : undefined);
    this.stale = false;
    return agg;
  }

  /**
   * Only the groups `ids` (Service namespace/name) changed; objectsOf gives their objects now.
   * Undefined when there is no earlier build for this configuration to update: build() instead.
   */
  update(ids: Iterable<string>, objectsOf: (id: string) => ObjectGroup, node: NodeFacts, config: ModelConfig): DesiredAggregate | undefined {
    if (!this.agg || JSON.stringify(config) !== this.configKey) return undefined; // prepare() would start afresh
    const agg = this.prepare(node, config);
    this.recomputed = 0;
    const todo = new Set(ids);
    if (this.stale) for (const id of this.entries.keys()) todo.add(id);
    for (const id of todo) this.refresh(id, objectsOf(id));
    this.stale = false;
    return agg;
  }

  /** Whether a build has run (the aggregate exists). */
  get built(): boolean { return this.agg !== undefined; }

  /** The aggregate the last build or update left. */
  get aggregate(): DesiredAggregate {
    if (!this.agg) throw new Error('the model has not been built yet');
    return this.agg;
  }

  /** What changed in the desired state since the last call; undefined when it was built anew (all of it). */
  takeChanges(): StateChanges | undefined {
    const c = this.agg?.takeChanges();
    const fresh = this.fresh;
    this.fresh = false;
    return fresh ? undefined : c;
  }

  private prepare(node: NodeFacts, config: ModelConfig): DesiredAggregate {
    const configKey = JSON.stringify(config);
    if (!this.agg || configKey !== this.configKey) {
      this.agg = new DesiredAggregate(config);
      this.entries.clear();
      this.config = config;
      this.configKey = configKey;
      this.fresh = true;
    }
    this.agg.setNodeCidrs(node.podCidrs ?? []);
    const view = nodeView(node, config);
    const viewKey = JSON.stringify([view.name, [...view.own].sort(), view.nodePortIps, view.zone ?? null]);
    if (viewKey !== this.viewKey) { this.view = view; this.viewKey = viewKey; this.stale = true; }
    return this.agg;
  }

  private refresh(id: string, g: ObjectGroup): void {
    const agg = this.agg!;
    const config = this.config!;
    const e = this.entries.get(id);
    if (!this.stale && e && sameObjects(e, g)) return;
    if (g.services.length === 0 && g.slices.length === 0) {
      if (e) { this.entries.delete(id); agg.set(id, undefined); }
      return;
    }
    this.recomputed++;
    const slices = g.slices.map((o) => admitSlice([o]));
    const problems = slices.flatMap((s) => s.problems);
    let state;
    if (g.services.length > 0) {
      const r = admitService(g.services, config.families);
      problems.push(...r.problems);
      const admitted = slices.flatMap((s) => (s.slice ? [s.slice] : [])).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (r.service) state = serviceState(r.service, admitted, this.view!);
    }
    this.entries.set(id, { services: keep(g.services), slices: g.slices.length > MANY_SLICES ? new Set(g.slices) : keep(g.slices) });
    agg.set(id, { state, problems });
  }
}

const MANY_SLICES = 16;

const keep = <T extends object>(objs: readonly T[]): Kept<T> => (objs.length === 1 ? objs[0]! : exact(objs));
const kept = <T extends object>(k: Kept<T>): readonly T[] => (isList(k) ? k : [k]);
const isList = <T extends object>(k: Kept<T>): k is readonly T[] => Array.isArray(k);

function sameObjects(e: Entry, g: ObjectGroup): boolean {
  const services = kept(e.services);
  if (services.length !== g.services.length || !services.every((s, i) => s === g.services[i])) return false;
  if (e.slices instanceof Set) return e.slices.size === g.slices.length && g.slices.every((s) => (e.slices as ReadonlySet<SliceObject>).has(s));
  const slices = kept(e.slices as Kept<SliceObject>);
  return slices.length === g.slices.length && g.slices.every((s) => slices.includes(s));
}
