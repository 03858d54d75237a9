// What the proxy keeps of each object the API server sends: the fields the model reads, as plain
// JSON-shaped data. A real object carries much more: client-node's typed copies every field of
// the type (most undefined) and Date objects; the API server uids, managedFields, kubectl's
// last-applied annotation, the selector, ipFamilies, chart labels and, per endpoint, targetRef,
// hints and zone. At tens of thousands of objects that was most of the proxy's memory.
// Nothing is validated here: a field of the wrong type is kept as it came, for the model to
// report. The Node object (one) is kept whole.
import { isRecord } from '../model/raw.js';
import { HEADLESS_LABEL, MODEL_ANNOTATIONS, SERVICE_PROXY_NAME_LABEL } from '../model/service.js';
import { SERVICE_NAME_LABEL } from '../model/endpoint-slice.js';
import { PackedEndpoints } from '../model/packed-endpoints.js';

export const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
// The trigger time is read from the event as it comes (see kube-source), not kept.
const KEPT_ANNOTATIONS: readonly string[] = MODEL_ANNOTATIONS;
const KEPT_LABELS: readonly string[] = [SERVICE_NAME_LABEL, SERVICE_PROXY_NAME_LABEL, HEADLESS_LABEL];
/** the Service fields parseService reads */
const SERVICE_SPEC = ['type', 'clusterIP', 'clusterIPs', 'ports', 'externalIPs', 'loadBalancerSourceRanges', 'sessionAffinity', 'sessionAffinityConfig',
  'externalTrafficPolicy', 'internalTrafficPolicy', 'healthCheckNodePort'];
const SERVICE_PORT = ['name', 'protocol', 'port', 'nodePort', 'targetPort'];
const SLICE_PORT = ['name', 'protocol', 'port'];

export type SlimKind = 'service' | 'endpointSlice';

export function slim(kind: SlimKind, obj: unknown): unknown {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return obj;
  const base = { apiVersion: intern(obj.apiVersion), kind: intern(obj.kind), metadata: slimMeta(obj.metadata) };
  if (kind === 'service') return compact({ ...base, spec: slimSpec(obj.spec), status: slimStatus(obj.status) });
  const out = compact({ ...base, addressType: intern(obj.addressType), ports: eachPicked(obj.ports, SLICE_PORT) }) as Record<string, unknown>;
  if (Array.isArray(obj.endpoints)) out.endpoints = PackedEndpoints.pack(obj.endpoints) ?? obj.endpoints.map(slimEndpoint);
  else if (obj.endpoints !== undefined) out.endpoints = compact(obj.endpoints);
  return out;
}

// Endpoints are most of the memory kept (hundreds of thousands at scale): a slice's endpoints are
// packed into three strings. Those of an unusual shape, which pack refuses, are kept as objects:
// their few distinct conditions are shared frozen objects, and node names one string each.
function slimEndpoint(e: unknown): unknown {
  if (!isRecord(e)) return compact(e);
  const out: Record<string, unknown> = {};
  if (e.addresses !== undefined) out.addresses = compact(e.addresses);
  if (e.conditions !== undefined) out.conditions = sharedConditions(e.conditions);
  if (e.nodeName !== undefined) out.nodeName = intern(e.nodeName);
  return out;
}

const CONDITIONS = ['ready', 'serving', 'terminating'];
const conditionsSeen = new Map<string, unknown>();

function sharedConditions(c: unknown): unknown {
  if (!isRecord(c) || !Object.keys(c).every((k) => CONDITIONS.includes(k) && (c[k] === undefined || typeof c[k] === 'boolean'))) return compact(c);
  const key = CONDITIONS.map((k) => String(c[k])).join();
  let shared = conditionsSeen.get(key);
  if (!shared) conditionsSeen.set(key, (shared = Object.freeze(compact(c))));
  return shared;
}

// Strings that repeat across objects (namespaces, node names, kinds): one copy each. Bounded, so
// that a cluster with unusually many distinct values only stops sharing.
const INTERN_LIMIT = 10_000;
const interned = new Map<string, string>();

function intern(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const seen = interned.get(v);
  if (seen !== undefined) return seen;
  if (interned.size < INTERN_LIMIT) interned.set(v, v);
  return v;
}

function slimMeta(m: Readonly<Record<string, unknown>>): Record<string, unknown> {
  // no uid: nothing reads it (the informer matches objects by namespace, name and resourceVersion)
  return { name: m.name, namespace: intern(m.namespace), resourceVersion: m.resourceVersion, labels: strings(m.labels, KEPT_LABELS), annotations: strings(m.annotations, KEPT_ANNOTATIONS) };
}

/**
 * Only `keys` of a map of strings. A map with a value that is not a string is kept whole: the
 * model reports it malformed, as it would the whole object.
 */
function strings(v: unknown, keys: readonly string[]): unknown {
  if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string')) return v;
  let kept: Record<string, unknown> | undefined;
  for (const k of keys) if (v[k] !== undefined) (kept ??= {})[k] = intern(v[k]);
  return kept ?? NONE; // most objects keep none: one shared empty map
}

const NONE = Object.freeze({});

/** Only the load balancer's ingress, and only when there is one (most Services have none). */
function slimStatus(status: unknown): unknown {
  if (!isRecord(status)) return status;
  const lb = status.loadBalancer;
  if (lb === undefined || lb === null) return undefined;
  if (!isRecord(lb)) return { loadBalancer: lb };
  return lb.ingress === undefined || lb.ingress === null ? undefined : { loadBalancer: { ingress: lb.ingress } };
}

function slimSpec(spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  const out = pick(spec, SERVICE_SPEC) as Record<string, unknown>;
  out.type = intern(out.type);
  out.ports = eachPicked(out.ports, SERVICE_PORT);
  return out;
}

/** Only `keys` of an object (anything else as it is). */
function pick(v: unknown, keys: readonly string[]): unknown {
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (v[k] !== undefined) out[k] = v[k];
  return out;
}

const eachPicked = (v: unknown, keys: readonly string[]) => (Array.isArray(v) ? v.map((x) => pick(x, keys)) : v);

/** A deep copy without undefined fields; Dates become their JSON text, as on the wire; shared frozen objects stay shared. */
function compact(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return v.toJSON();
  if (Object.isFrozen(v)) return v; // shared (NONE, conditions): already compact

  if (Array.isArray(v)) return v.map(compact);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = compact(x);
  }
  return out;
}
