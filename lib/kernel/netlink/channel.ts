// One netlink socket with the request discipline every adapter needs:
// - a bounded number of requests in flight (the netlink package aborts the process when the
//   socket's receive buffer overflows) and a large receive buffer;
// - dumps run alone (the kernel allows one dump per socket, and the package's multipart grouping
//   breaks if another reply arrives in the middle of one);
// - every request has a timeout, and kernel errors come back as KernelError with the errno name.
import { createNetlink, parseError, MessageType, FlagsGet, type NetlinkSocket, type NetlinkMessage } from 'netlink';
import { KernelError, errnoName } from '../errors.js';

export interface ChannelOptions {
  readonly maxInFlight?: number;
  readonly timeoutMs?: number;
  /** a dump's whole reply (default 120 s: tens of thousands of virtual servers take a while) */
  readonly dumpTimeoutMs?: number;
  readonly recvBufferSize?: number;
}

export interface RequestDescription {
  /** e.g. "add virtual server" */
  readonly operation: string;
  /** e.g. "TCP 10.0.0.1:80" */
  readonly object: string;
}

export class NetlinkChannel {
  private readonly socket: NetlinkSocket;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly dumpTimeoutMs: number;
  private inFlight = 0;
  private dumping = false;
  private readonly waiters: Array<{ dump: boolean; go: () => void }> = [];
  private closed = false;

  constructor(protocol: number, opts: ChannelOptions = {}) {
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.dumpTimeoutMs = opts.dumpTimeoutMs ?? 120_000;
    this.socket = createNetlink(protocol, { recvBufferSize: opts.recvBufferSize ?? 8 << 20, sendBufferSize: 1 << 20 });
    // Without a listener, a socket error (ENOBUFS…) would be thrown from the event loop.
    this.socket.on('error', () => undefined);
    this.socket.socket.on('error', () => undefined);
  }

  /** A request answered by an ACK (or an error). */
  async request(type: number, payload: readonly Buffer[], desc: RequestDescription, flags = 0): Promise<void> {
    await this.send(type, payload, desc, flags, false);
  }

  /** A request answered by a message (e.g. a generic netlink family lookup). */
  query(type: number, payload: readonly Buffer[], desc: RequestDescription, flags = 0): Promise<NetlinkMessage[]> {
    return this.send(type, payload, desc, flags, false);
  }

  /** A dump: every message of the multipart reply, DONE excluded. */
  dump(type: number, payload: readonly Buffer[], desc: RequestDescription, flags = 0): Promise<NetlinkMessage[]> {
    return this.send(type, payload, desc, flags | FlagsGet.DUMP, true);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private async send(type: number, payload: readonly Buffer[], desc: RequestDescription, flags: number, dump: boolean): Promise<NetlinkMessage[]> {
    if (this.closed) throw new KernelError('ECLOSED', desc.operation, desc.object, 'netlink socket closed');
    await this.acquire(dump);
    try {
      const [msgs] = await this.socket.request(type, [...payload], { flags, timeout: dump ? this.dumpTimeoutMs : this.timeoutMs, checkError: false });
      const out: NetlinkMessage[] = [];
      for (const m of msgs) {
        if (m.type === MessageType.ERROR) {
          const { errno } = parseError(m.data, m.flags);
          if (errno !== 0) throw new KernelError(errnoName(errno), desc.operation, desc.object);
          continue;
        }
        if (m.type === MessageType.DONE) continue;
        out.push(m);
      }
      return out;
    } catch (e) {
      if (e instanceof KernelError) throw e;
      const msg = (e as Error).message;
      if (/Timeout/.test(msg)) throw new KernelError('ETIMEDOUT', desc.operation, desc.object, `no answer within ${dump ? this.dumpTimeoutMs : this.timeoutMs} ms`);
      throw new KernelError('EIO', desc.operation, desc.object, msg);
    } finally {
      this.release(dump);
    }
  }

  private acquire(dump: boolean): Promise<void> {
    if (this.canStart(dump) && this.waiters.length === 0) { this.start(dump); return Promise.resolve(); }
    return new Promise((resolve) => this.waiters.push({ dump, go: () => { this.start(dump); resolve(); } }));
  }

  private canStart(dump: boolean): boolean {
    if (this.dumping) return false;
    return dump ? this.inFlight === 0 : this.inFlight < this.maxInFlight;
  }

  private start(dump: boolean): void {
    this.inFlight++;
    if (dump) this.dumping = true;
  }

  private release(dump: boolean): void {
    this.inFlight--;
    if (dump) this.dumping = false;
    // First come, first served: a waiting dump holds back later requests until it can run.
    while (this.waiters.length > 0 && this.canStart(this.waiters[0]!.dump)) this.waiters.shift()!.go();
  }
}
