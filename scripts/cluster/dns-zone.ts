// The records of cluster.local that the DNS stand-in (scripts/cluster/dns.ts) answers, built from
// the API's Services, EndpointSlices and Pods as CoreDNS's kubernetes plugin builds them: a
// Service's ClusterIPs, a headless Service's endpoints (with their hostnames), named ports as SRV,
// ExternalName as CNAME, pods as a-b-c-d.NS.pod, and PTR for all of those. Pure: no I/O.
import type { Packet, Question, SrvAnswer, StringAnswer } from 'dns-packet';

export const DOMAIN = 'cluster.local';
const TTL = 5;
const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3 } as const;

export interface ServiceObject {
  metadata: { name: string; namespace: string };
  spec: { type?: string; clusterIP?: string; clusterIPs?: string[]; externalName?: string; publishNotReadyAddresses?: boolean;
    ports?: Array<{ name?: string; port: number; protocol?: string }> };
}
export interface SliceObject {
  metadata: { namespace: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: Array<{ addresses: string[]; hostname?: string; conditions?: { ready?: boolean } }> | null;
  ports?: Array<{ name?: string; port?: number; protocol?: string }> | null;
}
export interface PodObject { metadata: { namespace: string }; status?: { podIP?: string; podIPs?: Array<{ ip: string }> } }

type Rr = StringAnswer | SrvAnswer;
export type Zone = ReadonlyMap<string, readonly Rr[]>;

const reverse = (ip: string): string => ip.includes(':')
  ? [...expand6(ip).replace(/:/g, '')].reverse().join('.') + '.ip6.arpa'
  : ip.split('.').reverse().join('.') + '.in-addr.arpa';

function expand6(ip: string): string {
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

const address = (name: string, ip: string): Rr => ip.includes(':')
  ? { name, type: 'AAAA', ttl: TTL, class: 'IN', data: ip }
  : { name, type: 'A', ttl: TTL, class: 'IN', data: ip };

/** Every record of the zone, by lower-case owner name. */
export function buildZone(services: readonly ServiceObject[], slices: readonly SliceObject[], pods: readonly PodObject[]): Zone {
  const zone = new Map<string, Rr[]>();
  const add = (rr: Rr) => {
    const key = rr.name.toLowerCase();
    const list = zone.get(key) ?? [];
    if (!list.some((x) => x.type === rr.type && JSON.stringify(x.data) === JSON.stringify(rr.data))) list.push(rr);
    zone.set(key, list);
  };
  const slicesOf = new Map<string, SliceObject[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const key = `${s.metadata.namespace}/${svc}`;
    slicesOf.set(key, [...(slicesOf.get(key) ?? []), s]);
  }
  for (const svc of services) {
    const { name, namespace } = svc.metadata;
    const fqdn = `${name}.${namespace}.svc.${DOMAIN}`;
    const spec = svc.spec;
    if (spec.type === 'ExternalName') {
      if (spec.externalName) add({ name: fqdn, type: 'CNAME', ttl: TTL, class: 'IN', data: spec.externalName });
      continue;
    }
    const ips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip && ip !== 'None');
    if (ips.length) {
      for (const ip of ips) {
        add(address(fqdn, ip));
        add({ name: reverse(ip), type: 'PTR', ttl: TTL, class: 'IN', data: fqdn });
      }
      for (const p of spec.ports ?? []) {
        if (p.name) add({ name: `_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${fqdn}`, type: 'SRV', ttl: TTL, class: 'IN', data: { priority: 0, weight: 100, port: p.port, target: fqdn } });
      }
      continue;
    }
    // headless: the endpoints themselves
    for (const slice of slicesOf.get(`${namespace}/${name}`) ?? []) {
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false && !spec.publishNotReadyAddresses) continue;
        for (const ip of ep.addresses) {
          add(address(fqdn, ip));
          const host = ep.hostname ? `${ep.hostname}.${fqdn}` : `${ip.replace(/[.:]/g, '-')}.${fqdn}`;
          add(address(host, ip));
          add({ name: reverse(ip), type: 'PTR', ttl: TTL, class: 'IN', data: host });
          for (const p of slice.ports ?? []) {
            if (p.name && p.port) add({ name: `_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${fqdn}`, type: 'SRV', ttl: TTL, class: 'IN', data: { priority: 0, weight: 100, port: p.port, target: host } });
          }
        }
      }
    }
  }
  for (const pod of pods) {
    for (const ip of pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : [])) {
      add(address(`${ip.replace(/[.:]/g, '-')}.${pod.metadata.namespace}.pod.${DOMAIN}`, ip));
    }
  }
  return zone;
}

/**
 * The answer to a query: the records of the asked type (following CNAMEs inside the zone),
 * NODATA for a name that has records of other types (or names below it), NXDOMAIN for the rest.
 * Names outside the zone get NXDOMAIN too: the stand-in has no upstream.
 */
export function answer(zone: Zone, query: Packet): Packet {
  const q: Question | undefined = query.questions?.[0];
  // the response code is the low four bits of the flags; AA set, RD echoed
  const reply = (rcode: 'NOERROR' | 'NXDOMAIN' | 'FORMERR', answers: Rr[] = []): Packet => ({
    id: query.id, type: 'response', flags: (1 << 10) | ((query.flags ?? 0) & (1 << 8)) | RCODE[rcode],
    questions: query.questions ?? [], answers,
  });
  if (!q) return reply('FORMERR');
  const answers: Rr[] = [];
  let name = q.name.toLowerCase().replace(/\.$/, '');
  for (let hops = 0; hops < 8; hops++) {
    const records = zone.get(name);
    if (!records) break;
    const cname = records.find((r) => r.type === 'CNAME');
    if (cname && q.type !== 'CNAME') {
      answers.push({ ...cname, name: q.name });
      name = String(cname.data).toLowerCase().replace(/\.$/, '');
      continue;
    }
    answers.push(...records.filter((r) => (q.type as string) === 'ANY' || r.type === q.type).map((r) => ({ ...r, name: hops === 0 ? q.name : r.name })));
    return reply('NOERROR', answers);
  }
  if (answers.length) return reply('NOERROR', answers);
  const exists = [...zone.keys()].some((k) => k.endsWith(`.${name}`));
  return reply(exists ? 'NOERROR' : 'NXDOMAIN');
}
