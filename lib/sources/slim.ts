// What the proxy keeps of each object the API server sends: the fields the model reads, as plain
// JSON-shaped data. client-node's typed copies carry every field of the type (most undefined),
// Date objects, managedFields, kubectl's last-applied annotation and, per endpoint, targetRef,
// hints and zone; at tens of thousands of EndpointSlices that was most of the proxy's memory.
// Nothing is validated here: a field of the wrong type is kept as it came, for the model to
// report. The Node object (one) is kept whole.
import { isRecord } from '../model/raw.js';
import { MODEL_ANNOTATIONS } from '../model/service.js';

export const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
const KEPT_ANNOTATIONS: readonly string[] = [...MODEL_ANNOTATIONS, TRIGGER_TIME];

export type SlimKind = 'service' | 'endpointSlice';

export function slim(kind: SlimKind, obj: unknown): unknown {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return obj;
  const base = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: slimMeta(obj.metadata) };
  if (kind === 'service') return compact({ ...base, spec: obj.spec, status: obj.status });
  return compact({
    ...base,
    addressType: obj.addressType,
    ports: obj.ports,
    endpoints: Array.isArray(obj.endpoints)
      ? obj.endpoints.map((e: unknown) => (isRecord(e) ? { addresses: e.addresses, conditions: e.conditions, nodeName: e.nodeName } : e))
      : obj.endpoints,
  });
}

function slimMeta(m: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, labels: m.labels };
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
