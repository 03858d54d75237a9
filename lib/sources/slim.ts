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
import { Interner } from '../model/interner.js';

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
  const m = obj.metadata;
  // Parts shared between objects are set after the copy, in places held by a placeholder (0):
  // every object keeps the shape JSON.parse gives it.
  const labels = kept(m.labels, KEPT_LABELS);
  const annotations = kept(m.annotations, KEPT_ANNOTATIONS);
  const endpoints = kind === 'endpointSlice' ? slimEndpoints(obj.endpoints) : undefined;
  const hold = (v: unknown) => (v === undefined ? undefined : 0);
  // no uid: nothing reads it (the informer matches objects by namespace, name and resourceVersion)
  const metadata = { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion, labels: hold(labels), annotations: hold(annotations) };
  const out = copy(kind === 'service'
    ? { apiVersion: obj.apiVersion, kind: obj.kind, metadata, spec: pickSpec(obj.spec), status: slimStatus(obj.status) }
    : { apiVersion: obj.apiVersion, kind: obj.kind, metadata, addressType: obj.addressType, ports: eachPicked(obj.ports, SLICE_PORT), endpoints: hold(endpoints) }) as Record<string, unknown>;
  const meta = out.metadata as Record<string, unknown>;
  if (labels !== undefined) meta.labels = labels;
  if (annotations !== undefined) meta.annotations = annotations;
  if (endpoints !== undefined) out.endpoints = endpoints;
  for (const [o, k] of [[out, 'apiVersion'], [out, 'kind'], [out, 'addressType'], [meta, 'namespace'], [out.spec, 'type']] as const) {
    if (isRecord(o) && typeof o[k] === 'string') (o as Record<string, unknown>)[k] = intern(o[k]);
  }
  return out;
}

/**
 * A deep copy as JSON.parse makes it: objects of exactly their properties (an object built a
 * property at a time keeps those past the fourth in a separate array: 24 more bytes for six),
 * flat strings, no undefined fields, Dates as their JSON text (as on the wire).
 */
const copy = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

// Endpoints are most of the memory kept (hundreds of thousands at scale): a slice's endpoints are
// packed into three strings. Those of an unusual shape, which pack refuses, are kept as objects:
// their few distinct conditions are shared frozen objects, and node names one string each.
function slimEndpoints(endpoints: unknown): unknown {
  if (!Array.isArray(endpoints)) return endpoints === undefined ? undefined : copy(endpoints);
  return PackedEndpoints.pack(endpoints) ?? endpoints.map(slimEndpoint);
}

function slimEndpoint(e: unknown): unknown {
  if (!isRecord(e)) return e === undefined ? e : copy(e);
  return {
    addresses: e.addresses === undefined ? undefined : copy(e.addresses),
    conditions: e.conditions === undefined ? undefined : sharedConditions(e.conditions),
    nodeName: intern(e.nodeName),
  };
}

const CONDITIONS = ['ready', 'serving', 'terminating'];
const conditionsSeen = new Map<string, unknown>();

function sharedConditions(c: unknown): unknown {
  if (!isRecord(c) || !Object.keys(c).every((k) => CONDITIONS.includes(k) && (c[k] === undefined || typeof c[k] === 'boolean'))) return copy(c);
  const key = CONDITIONS.map((k) => String(c[k])).join();
  let shared = conditionsSeen.get(key);
  if (!shared) conditionsSeen.set(key, (shared = Object.freeze(copy(c))));
  return shared;
}

// Strings that repeat across objects (namespaces, node names, kinds): one copy each.
const strings = new Interner();
const intern = (v: unknown): unknown => (typeof v === 'string' ? strings.intern(v) : v);

/**
 * Only `keys` of a map of strings. A map with a value that is not a string is kept whole: the
 * model reports it malformed, as it would the whole object.
 */
function kept(v: unknown, keys: readonly string[]): unknown {
  if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string')) return v;
  let out: Record<string, unknown> | undefined;
  for (const k of keys) if (v[k] !== undefined) (out ??= {})[k] = intern(v[k]);
  return out ?? NONE; // most objects keep none: one shared empty map
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

/** The Service fields parseService reads, and of each port those it reads. */
function pickSpec(spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  const out = pick(spec, SERVICE_SPEC) as Record<string, unknown>;
  if (out.ports !== undefined) out.ports = eachPicked(out.ports, SERVICE_PORT);
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
