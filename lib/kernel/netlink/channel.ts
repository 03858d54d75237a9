// A netlink connection with the request discipline every adapter needs:
// - a bounded number of requests in flight (the netlink package aborts the process when the
//   socket's receive buffer overflows) and a large receive buffer;
// - dumps go over sockets of their own, one dump per socket (the kernel allows one dump per
//   socket, and the package's multipart grouping breaks if another reply arrives in the middle of
//   one), so a long dump does not hold back requests; two dump sockets, so that a resync's long
//   dump does not hold back a change's small ones;
// - the dump socket reads into 32 KB buffers: the kernel sizes each part of a dump by the largest
//   read it has seen on the socket, and reading a message at a time (the package's default peek)
//   kept parts at one page. Dumps of tens of thousands of objects that resume from the start
//   for every part (IPVS's and others') then cost several times more parts, each a walk;
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
  private request_: NetlinkSocket | undefined;
  /** every dump socket opened, and those not in use */
  private readonly dumpSockets: NetlinkSocket[] = [];
  private readonly idleDumpSockets: NetlinkSocket[] = [];
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly dumpTimeoutMs: number;
  private readonly recvBufferSize: number;
  private inFlight = 0;
  private dumping = 0;
  private readonly waiting: { request: Array<() => void>; dump: Array<() => void> } = { request: [], dump: [] };
  private closed = false;

  constructor(private readonly protocol: number, opts: ChannelOptions = {}) {
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.dumpTimeoutMs = opts.dumpTimeoutMs ?? 120_000;
    this.recvBufferSize = opts.recvBufferSize ?? 8 << 20;
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
    this.request_?.close();
    for (const s of this.dumpSockets) s.close();
  }

  /** The socket of requests, or an idle dump socket (taken until given back), opened on first use. */
  private socket(dump: boolean): NetlinkSocket {
    if (!dump) return (this.request_ ??= this.open(false));
    const idle = this.idleDumpSockets.pop();
    if (idle) return idle;
    const s = this.open(true);
    this.dumpSockets.push(s);
    return s;
  }

  private open(dump: boolean): NetlinkSocket {
    const s = createNetlink(this.protocol, {
      recvBufferSize: this.recvBufferSize, sendBufferSize: 1 << 20,
      // requests are answered by small messages: each is read at its own size
      ...(dump ? { messagePeeking: false, msgBufferSize: DUMP_READ_SIZE } : {}),
    });
    // Without a listener, a socket error (ENOBUFS…) would be thrown from the event loop.
    s.on('error', () => undefined);
    s.socket.on('error', () => undefined);
    return s;
  }

  private async send(type: number, payload: readonly Buffer[], desc: RequestDescription, flags: number, dump: boolean): Promise<NetlinkMessage[]> {
    if (this.closed) throw new KernelError('ECLOSED', desc.operation, desc.object, 'netlink socket closed');
    await this.acquire(dump);
    const socket = this.socket(dump);
    try {
      const [msgs] = await socket.request(type, [...payload], { flags, timeout: dump ? this.dumpTimeoutMs : this.timeoutMs, checkError: false });
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
      if (dump) this.idleDumpSockets.push(socket);
      this.release(dump);
    }
  }

  private acquire(dump: boolean): Promise<void> {
    const queue = dump ? this.waiting.dump : this.waiting.request;
    if (this.canStart(dump) && queue.length === 0) { this.start(dump); return Promise.resolve(); }
    return new Promise((resolve) => queue.push(() => { this.start(dump); resolve(); }));
  }

  private canStart(dump: boolean): boolean {
    return dump ? this.dumping < DUMPS_AT_ONCE : this.inFlight < this.maxInFlight;
  }

  private start(dump: boolean): void {
    if (dump) this.dumping++;
    else this.inFlight++;
  }

  private release(dump: boolean): void {
    if (dump) this.dumping--;
    else this.inFlight--;
    const queue = dump ? this.waiting.dump : this.waiting.request;
    while (queue.length > 0 && this.canStart(dump)) queue.shift()!();
  }
}

const DUMPS_AT_ONCE = 2;

/** The read size of the dump socket (the kernel caps the parts of a dump at 32 KB). */
const DUMP_READ_SIZE = 32 << 10;
