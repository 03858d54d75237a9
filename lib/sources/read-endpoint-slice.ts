// An EndpointSlice object from the API server or a file, read into the model's EndpointSlice once,
// when it arrives: validated, addresses canonical, or the reason it is skipped (another proxy's,
// headless, FQDN, malformed).
import { canonicalIp, ipFamily, type IpFamily } from '../net/address.js';
import type { Protocol } from '../kernel/ipvs/types.js';
import type { Problem } from '../model/desired-state.js';
import { SERVICE_NAME_LABEL, type EndpointSlice } from '../model/endpoint-slice.js';
import type { SliceObject } from '../model/objects.js';
import { HEADLESS_LABEL, PROXY_NAME, SERVICE_PROXY_NAME_LABEL } from '../model/service.js';
import { Malformed, isRecord, list, objectName, optBool, optInt, optRecord, optString, record, str, stringMap } from './raw.js';

type SliceParse =
  | { readonly ok: true; readonly slice: EndpointSlice }
  | { readonly ok: false; readonly reason: string };

const PROTOCOLS: Readonly<Record<string, Protocol>> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
const NONE: readonly Problem[] = Object.freeze([]);

/**
 * One EndpointSlice object: the slice, or the problem that skips it, and the Service it names.
 * `compact` may give the slice a smaller form (the API source packs it); `intern` shares strings.
 */
export function readEndpointSlice(obj: unknown, compact: (s: EndpointSlice) => EndpointSlice = (s) => s, intern: (s: string) => string = (s) => s): SliceObject {
  const { namespace, name } = objectName(obj);
  const r = parse(obj, intern);
  if (r.ok) return { namespace: r.slice.namespace, name, owner: r.slice.service, slice: compact(r.slice), problems: NONE };
  return { namespace: intern(namespace), name, owner: ownerOf(obj), slice: undefined, problems: [{ kind: 'EndpointSlice', namespace, name, reason: r.reason, skipped: true }] };
}

/** The Service name a slice's label gives, as far as it can be read ('' when none). */
function ownerOf(obj: unknown): string {
  const meta = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : {};
  const service = isRecord(meta.labels) ? meta.labels[SERVICE_NAME_LABEL] : undefined;
  return typeof service === 'string' ? service : '';
}

function parse(obj: unknown, intern: (s: string) => string): SliceParse {
  try {
    const o = record(obj, 'EndpointSlice');
    const meta = record(o.metadata, 'metadata');
    const name = str(meta.name, 'metadata.name');
    const namespace = intern(optString(meta.namespace, 'metadata.namespace') || 'default');
    const labels = stringMap(meta.labels, 'metadata.labels');
    const service = labels[SERVICE_NAME_LABEL];
    if (!service) return { ok: false, reason: `no ${SERVICE_NAME_LABEL} label (not managed for a Service)` };
    const proxy = labels[SERVICE_PROXY_NAME_LABEL];
    if (proxy !== undefined && proxy !== PROXY_NAME) return { ok: false, reason: `handled by another proxy (${SERVICE_PROXY_NAME_LABEL}=${proxy})` };
    if (labels[HEADLESS_LABEL] !== undefined) return { ok: false, reason: 'endpoints of a headless service' };
    const addressType = str(o.addressType, 'addressType');
    if (addressType === 'FQDN') return { ok: false, reason: 'FQDN endpoints cannot be load-balanced by IPVS' };
    if (addressType !== 'IPv4' && addressType !== 'IPv6') throw new Malformed(`addressType: unknown type "${addressType}"`);
    const family: IpFamily = addressType === 'IPv4' ? 4 : 6;

    const endpoints = list(o.endpoints, 'endpoints').map((v, i) => {
      const path = `endpoints[${i}]`;
      const e = record(v, path);
      const addrs = list(e.addresses, `${path}.addresses`);
      if (addrs.length === 0) throw new Malformed(`${path}.addresses: empty`);
      const text = str(addrs[0], `${path}.addresses[0]`);
      const address = canonicalIp(text);
      if (!address) throw new Malformed(`${path}.addresses[0]: "${text}" is not an IP address`);
      if (ipFamily(address) !== family) throw new Malformed(`${path}.addresses[0]: ${address} is not an ${addressType} address`);
      const c = optRecord(e.conditions, `${path}.conditions`);
      // As Kubernetes documents: an unknown ready/serving state counts as true.
      return {
        address,
        ready: optBool(c.ready, `${path}.conditions.ready`) ?? true,
        serving: optBool(c.serving, `${path}.conditions.serving`) ?? true,
        terminating: optBool(c.terminating, `${path}.conditions.terminating`) ?? false,
        nodeName: optInternedString(e.nodeName, `${path}.nodeName`, intern),
        ...hintsOf(optRecord(e.hints, `${path}.hints`), `${path}.hints`, intern),
      };
    });
    const ports = list(o.ports, 'ports').flatMap((v, i) => {
      const path = `ports[${i}]`;
      const p = record(v, path);
      const protoText = optString(p.protocol, `${path}.protocol`) ?? 'TCP';
      const protocol = PROTOCOLS[protoText];
      if (!protocol) throw new Malformed(`${path}.protocol: unknown protocol "${protoText}"`);
      const port = optInt(p.port, `${path}.port`, 1, 65535);
      // A port without a number means "all ports", which IPVS virtual servers cannot express.
      return port === undefined ? [] : [{ name: optString(p.name, `${path}.name`) ?? '', protocol, port }];
    });
    return { ok: true, slice: { namespace, name, service, family, endpoints, ports } };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, reason: `malformed: ${e.message}` };
    throw e;
  }
}

function optInternedString(v: unknown, path: string, intern: (s: string) => string): string | undefined {
  const s = optString(v, path);
  return s === undefined ? undefined : intern(s);
}

const NO_HINTS: readonly string[] = Object.freeze([]);

/** hints.forZones and hints.forNodes as name lists (most endpoints have none: one shared empty list). */
function hintsOf(h: Readonly<Record<string, unknown>>, path: string, intern: (s: string) => string): { zoneHints: readonly string[]; nodeHints: readonly string[] } {
  const names = (v: unknown, p: string) => {
    const l = list(v, p).map((x, i) => intern(str(record(x, `${p}[${i}]`).name, `${p}[${i}].name`)));
    return l.length === 0 ? NO_HINTS : l;
  };
  return { zoneHints: names(h.forZones, `${path}.forZones`), nodeHints: names(h.forNodes, `${path}.forNodes`) };
}
