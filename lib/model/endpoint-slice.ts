// An EndpointSlice as the model uses it: the Service it belongs to, its family, its endpoints
// with their conditions, and its named ports. parseEndpointSlice validates one untyped object.
import { canonicalIp, ipFamily, type IpFamily } from '../net/address.js';
import type { Protocol } from '../kernel/ipvs/types.js';
import { Malformed, isRecord, list, objectName, optBool, optInt, optRecord, optString, record, str, stringMap } from './raw.js';
import { HEADLESS_LABEL, SERVICE_PROXY_NAME_LABEL } from './service.js';
import { PackedEndpoints } from './packed-endpoints.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The Service (namespace/name) a slice names, as far as it can be read (name '' when it names none). */
export function sliceOwner(obj: unknown): string {
  const meta = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : {};
  const service = isRecord(meta.labels) ? meta.labels[SERVICE_NAME_LABEL] : undefined;
  return `${objectName(obj).namespace}/${typeof service === 'string' ? service : ''}`;
}

export interface Endpoint {
  /** the first address, as kube-proxy uses; canonical */
  readonly address: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName: string | undefined;
}

export interface SlicePort {
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
}

export interface EndpointSlice {
  readonly namespace: string;
  readonly name: string;
  readonly service: string;
  readonly family: IpFamily;
  readonly endpoints: readonly Endpoint[];
  readonly ports: readonly SlicePort[];
}

export type SliceParse =
  | { readonly ok: true; readonly slice: EndpointSlice }
  | { readonly ok: false; readonly reason: string };

const PROTOCOLS: Readonly<Record<string, Protocol>> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

export function parseEndpointSlice(obj: unknown, proxyName: string): SliceParse {
  try {
    const o = record(obj, 'EndpointSlice');
    const meta = record(o.metadata, 'metadata');
    const name = str(meta.name, 'metadata.name');
    const namespace = optString(meta.namespace, 'metadata.namespace') || 'default';
    const labels = stringMap(meta.labels, 'metadata.labels');
    const service = labels[SERVICE_NAME_LABEL];
    if (!service) return { ok: false, reason: `no ${SERVICE_NAME_LABEL} label (not managed for a Service)` };
    const proxy = labels[SERVICE_PROXY_NAME_LABEL];
    if (proxy !== undefined && proxy !== proxyName) return { ok: false, reason: `handled by another proxy (${SERVICE_PROXY_NAME_LABEL}=${proxy})` };
    if (labels[HEADLESS_LABEL] !== undefined) return { ok: false, reason: 'endpoints of a headless service' };
    const addressType = str(o.addressType, 'addressType');
    if (addressType === 'FQDN') return { ok: false, reason: 'FQDN endpoints cannot be load-balanced by IPVS' };
    if (addressType !== 'IPv4' && addressType !== 'IPv6') throw new Malformed(`addressType: unknown type "${addressType}"`);
    const family: IpFamily = addressType === 'IPv4' ? 4 : 6;

    // The API source packs endpoints (packed-endpoints.ts): they are validated as any others.
    const rawEndpoints = o.endpoints instanceof PackedEndpoints ? o.endpoints.unpack() : o.endpoints;
    const endpoints = list(rawEndpoints, 'endpoints').map((v, i) => {
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
        nodeName: optString(e.nodeName, `${path}.nodeName`),
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
