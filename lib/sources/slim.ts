// What the proxy keeps of each object the API server sends: the fields the model reads, as plain
// JSON-shaped data. client-node's typed copies carry every field of the type (most undefined),
// Date objects, managedFields, kubectl's last-applied annotation and, per endpoint, targetRef,
// hints and zone; at tens of thousands of EndpointSlices that was most of the proxy's memory.
// Nothing is validated here: a field of the wrong type is kept as it came, for the model to
// report. The Node object (one) is kept whole.
import { isRecord } from '../model/raw.js';
import { MODEL_ANNOTATIONS } from '../model/service.js';
import { PackedEndpoints } from '../model/packed-endpoints.js';

export const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
const KEPT_ANNOTATIONS: readonly string[] = [...MODEL_ANNOTATIONS, TRIGGER_TIME];

export type SlimKind = 'service' | 'endpointSlice';

export function slim(kind: SlimKind, obj: unknown): unknown {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return obj;
  const base = { apiVersion: intern(obj.apiVersion), kind: intern(obj.kind), metadata: slimMeta(obj.metadata) };
  if (kind === 'service') return compact({ ...base, spec: obj.spec, status: obj.status });
  const out = compact({ ...base, addressType: intern(obj.addressType), ports: obj.ports }) as Record<string, unknown>;
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
  const out: Record<string, unknown> = { name: m.name, namespace: intern(m.namespace), uid: m.uid, resourceVersion: m.resourceVersion, labels: m.labels };
  if (isRecord(m.annotations)) {
    const kept: Record<string, unknown> = {};
    for (const k of KEPT_ANNOTATIONS) if (m.annotations[k] !== undefined) kept[k] = m.annotations[k];
    out.annotations = kept;
  } else out.annotations = m.annotations;
  return out;
}

/** A deep copy without undefined fields; Dates become their JSON text, as on the wire. */
function compact(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return v.toJSON();
  if (Array.isArray(v)) return v.map(compact);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = compact(x);
  }
  return out;
}
