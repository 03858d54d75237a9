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
// - requests answered by an ACK that are made in the same tick go out in one send, several
//   messages to a datagram (the kernel handles each in turn and acknowledges each): a sync's
//   thousands of operations cost a system call per batch, not per operation;
// - every request has a timeout, and kernel errors come back as KernelError with the errno name.
import { createNetlink, formatMessage, parseError, MessageType, Flags, FlagsGet, type NetlinkSocket, type NetlinkMessage } from 'netlink';
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
  /** requests waiting for the end of this tick to be sent together */
  private outbox: Array<{ seq: number; pieces: Uint8Array[] }> = [];
  /** requests sent and not yet acknowledged, by sequence number */
  private readonly acks = new Map<number, Ack>();
  private dumping = 0;
  private readonly waiting: { request: Array<() => void>; dump: Array<() => void> } = { request: [], dump: [] };
  private closed = false;

  constructor(private readonly protocol: number, opts: ChannelOptions = {}) {
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.dumpTimeoutMs = opts.dumpTimeoutMs ?? 120_000;
    this.recvBufferSize = opts.recvBufferSize ?? 8 << 20;
  }

  /** A request answered by an ACK (or an error); sent with the others made in the same tick. */
  async request(type: number, payload: readonly Buffer[], desc: RequestDescription, flags = 0): Promise<void> {
    if (this.closed) throw new KernelError('ECLOSED', desc.operation, desc.object, 'netlink socket closed');
    await this.acquire(false);
    const socket = this.requestSocket();
    const seq = socket.generateSeq();
    const pieces = formatMessage({ type, flags: flags | Flags.REQUEST | Flags.ACK, seq, port: 0, data: [...payload] });
    const length = pieces.reduce((n, p) => n + p.length, 0);
    // messages of one datagram start at 4-byte boundaries
    if (length % 4 !== 0) pieces.push(new Uint8Array(4 - (length % 4)));
    try {
      await new Promise<void>((resolve, reject) => {
        this.acks.set(seq, { resolve, reject, desc });
        if (this.outbox.push({ seq, pieces }) === 1) queueMicrotask(() => this.flush());
      });
    } finally {
      this.release(false);
    }
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

  /** Sends the requests of this tick in one datagram; one timer answers for all of them. */
  private flush(): void {
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    const fail = (code: string, detail: string) => {
      for (const { seq } of batch) {
        const ack = this.acks.get(seq);
        if (!ack) continue;
        this.acks.delete(seq);
        ack.reject(new KernelError(code, ack.desc.operation, ack.desc.object, detail));
      }
    };
    if (this.closed) { fail('ECLOSED', 'netlink socket closed'); return; }
    const timer = setTimeout(() => fail('ETIMEDOUT', `no answer within ${this.timeoutMs} ms`), this.timeoutMs);
    const last = batch[batch.length - 1]!.seq;
    this.acks.get(last)!.timer = timer;
    this.requestSocket().socket.send(batch.flatMap((m) => m.pieces), {}, (error) => { if (error) fail('EIO', error.message); });
  }

  /** ACKs and errors of the batched requests (the package hands over replies it has no request for). */
  private onMessages(msgs: NetlinkMessage[]): void {
    for (const m of msgs) {
      const ack = m.type === MessageType.ERROR ? this.acks.get(m.seq) : undefined;
      if (!ack) continue;
      this.acks.delete(m.seq);
      // the last of a batch holds the batch's timer: the kernel answers a datagram's messages in order
      if (ack.timer) clearTimeout(ack.timer);
      const { errno } = parseError(m.data, m.flags);
      if (errno === 0) ack.resolve();
      else ack.reject(new KernelError(errnoName(errno), ack.desc.operation, ack.desc.object));
    }
  }

  private requestSocket(): NetlinkSocket {
    if (!this.request_) {
      this.request_ = this.open(false);
      this.request_.on('message', (msgs) => this.onMessages(msgs));
    }
    return this.request_;
  }

  /** The socket of requests, or an idle dump socket (taken until given back), opened on first use. */
  private socket(dump: boolean): NetlinkSocket {
    if (!dump) return this.requestSocket();
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

interface Ack {
  readonly resolve: () => void;
  readonly reject: (e: KernelError) => void;
  readonly desc: RequestDescription;
  /** the batch's timer, on its last request */
  timer?: NodeJS.Timeout;
}

/** The read size of the dump socket (the kernel caps the parts of a dump at 32 KB). */
const DUMP_READ_SIZE = 32 << 10;
