// The cluster's DNS: a stand-in for CoreDNS, which cannot be had here. It serves cluster.local
// over UDP and TCP on port 53 of the host's end of the link, from the API's Services,
// EndpointSlices and Pods, re-listed every half second (scripts/cluster/dns-zone.ts builds the
// records). The kube-dns Service (10.96.0.10) has no selector; its EndpointSlice points here, so
// pods reach this server through the service proxy under test, as they reach CoreDNS's pods.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import dnsPacket from 'dns-packet';
import type { ControlPlane } from '../../spec/helpers/control-plane.js';
import { answer, buildZone, type PodObject, type ServiceObject, type SliceObject, type Zone } from './dns-zone.js';

export const DNS_PORT = 53;

export class DnsStandIn {
  private zone: Zone = new Map();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** the last re-list's failure, if it failed (the zone then stays as it was) */
  lastError?: string;
  queries = 0;

  private constructor(private readonly cp: ControlPlane, private readonly udp: Socket, private readonly tcp: Server) {}

  static async start(cp: ControlPlane, address: string): Promise<DnsStandIn> {
    const udp = createSocket('udp4');
    const tcp = createServer();
    const s = new DnsStandIn(cp, udp, tcp);
    await s.refresh();
    udp.on('message', (msg, peer) => {
      const out = s.respond(msg);
      if (out) udp.send(out, peer.port, peer.address);
    });
    tcp.on('connection', (sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const len = buf.readUInt16BE(0);
          const out = s.respond(buf.subarray(2, 2 + len));
          buf = buf.subarray(2 + len);
          if (out) { const head = Buffer.alloc(2); head.writeUInt16BE(out.length); sock.write(Buffer.concat([head, out])); }
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((res, rej) => { udp.once('error', rej); udp.bind(DNS_PORT, address, () => res()); });
    await new Promise<void>((res, rej) => { tcp.once('error', rej); tcp.listen(DNS_PORT, address, () => res()); });
    const loop = async () => {
      if (s.stopped) return;
      await s.refresh();
      s.timer = setTimeout(loop, 500);
    };
    s.timer = setTimeout(loop, 500);
    return s;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.udp.close();
    await new Promise((r) => this.tcp.close(r));
  }

  private respond(msg: Buffer): Buffer | undefined {
    try {
      this.queries++;
      return dnsPacket.encode(answer(this.zone, dnsPacket.decode(msg)));
    } catch {
      return undefined; // not a DNS message
    }
  }

  private async refresh(): Promise<void> {
    try {
      const list = async <T>(path: string): Promise<T[]> => {
        const r = await this.cp.request<{ items: T[] }>('GET', path);
        if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`);
        return r.body.items;
      };
      const [services, slices, pods] = await Promise.all([
        list<ServiceObject>('/api/v1/services'), list<SliceObject>('/apis/discovery.k8s.io/v1/endpointslices'), list<PodObject>('/api/v1/pods'),
      ]);
      this.zone = buildZone(services, slices, pods);
      this.lastError = undefined;
    } catch (e) {
      this.lastError = (e as Error).message;
    }
  }
}
