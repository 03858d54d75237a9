// The model, recomputed only where objects changed: each Service's share of the desired state is
// kept with the objects it came from (by identity: an informer hands back the same object until
// it changes), and only Services whose Service or EndpointSlice objects were replaced are parsed
// and computed again. The result equals buildDesiredState's (property-tested).
import { objectName } from './raw.js';
import type { EndpointSlice } from './endpoint-slice.js';
import type { DesiredState, Problem } from './desired-state.js';
import type { NodeFacts } from './node.js';
import { assemble, buildDesiredState, parseOneService, parseOneSlice, type ModelConfig, type Snapshot } from './build.js';
import { nodeView, serviceState, type NodeView, type ServiceState } from './service-state.js';

interface SliceEntry { readonly raw: unknown; readonly slice?: EndpointSlice; readonly problems: readonly Problem[] }
interface ServiceEntry { readonly raw: unknown; readonly slices: readonly unknown[]; readonly state?: ServiceState; readonly problems: readonly Problem[] }

export class ModelCache {
  private slices = new Map<unknown, SliceEntry>();
  private services = new Map<string, ServiceEntry>();
  private contextKey = '';
  /** Services computed again in the last build (for tests and metrics). */
  recomputed = 0;

  build(snapshot: Snapshot, node: NodeFacts, config: ModelConfig): DesiredState {
    const view = nodeView(node, config);
    const key = contextKey(view, config);
    if (key !== this.contextKey) { this.services.clear(); this.slices.clear(); this.contextKey = key; }

    // Duplicate names are rare and handled by the full model (it reports them).
    const svcIds = new Map<string, unknown>();
    const sliceIds = new Set<string>();
    for (const o of snapshot.services) {
      const id = idOf(o);
      if (svcIds.has(id)) return this.fallback(snapshot, node, config);
      svcIds.set(id, o);
    }
    for (const o of snapshot.endpointSlices) {
      const id = idOf(o);
      if (sliceIds.has(id)) return this.fallback(snapshot, node, config);
      sliceIds.add(id);
    }

    const problems: Problem[] = [];
    const nextSlices = new Map<unknown, SliceEntry>();
    const byService = new Map<string, Array<{ raw: unknown; name: string }>>();
    for (const raw of snapshot.endpointSlices) {
      let e = this.slices.get(raw);
      if (!e) { const r = parseOneSlice([raw], config); e = { raw, slice: r.slice, problems: r.problems }; }
      nextSlices.set(raw, e);
      problems.push(...e.problems);
      if (!e.slice) continue;
      const sid = `${e.slice.namespace}/${e.slice.service}`;
      const list = byService.get(sid) ?? [];
      list.push({ raw, name: e.slice.name });
      byService.set(sid, list);
    }
    this.slices = nextSlices;

    this.recomputed = 0;
    const nextServices = new Map<string, ServiceEntry>();
    const states: ServiceState[] = [];
    for (const id of [...svcIds.keys()].sort()) {
      const raw = svcIds.get(id)!;
      const mine = (byService.get(id) ?? []).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((x) => x.raw);
      let e = this.services.get(id);
      if (!e || e.raw !== raw || e.slices.length !== mine.length || e.slices.some((s, i) => s !== mine[i])) {
        this.recomputed++;
        const r = parseOneService([raw], config);
        const parsed = mine.map((s) => nextSlices.get(s)!.slice!);
        e = { raw, slices: mine, problems: r.problems, state: r.service ? serviceState(r.service, parsed, view) : undefined };
      }
      nextServices.set(id, e);
      problems.push(...e.problems);
      if (e.state) states.push(e.state);
    }
    this.services = nextServices;
    return assemble(states, config, problems);
  }

  private fallback(snapshot: Snapshot, node: NodeFacts, config: ModelConfig): DesiredState {
    this.services.clear();
    this.slices.clear();
    this.recomputed = snapshot.services.length;
    return buildDesiredState(snapshot, node, config);
  }
}

const idOf = (o: unknown) => { const { namespace, name } = objectName(o); return `${namespace}/${name}`; };

function contextKey(view: NodeView, config: ModelConfig): string {
  return JSON.stringify([view.name, [...view.own].sort(), view.nodePortIps, config]);
}

