// Events sent to the API server (events.k8s.io/v1), the proxy's only writes. An Event repeated
// while its cause lasts is sent once; each object gets at most a burst of 25 and then one per 5
// minutes (client-go's spam filter); sending never blocks or fails a sync.
import type { Logger } from '../log.js';
import type { KubeConfig } from './kube-client.js';
import { apiRequest } from './api-request.js';
import type { EventRecorder, ObjectRef, ProxyEvent } from './events.js';

export const REPORTING_CONTROLLER = 'ipvs-proxy';
const BURST = 25;
const REFILL_MS = 5 * 60_000;
const TIMEOUT_MS = 10_000;
/** Events waiting to be sent; past this many, new ones are dropped (and counted in the log) */
const MAX_PENDING = 100;

interface Bucket { tokens: number; at: number }

export class ApiEventRecorder implements EventRecorder {
  /** per object: the notes of Events sent, by reason */
  private readonly sent = new Map<string, Map<string, string>>();
  private readonly buckets = new Map<string, Bucket>();
  private pending = 0;
  private dropped = 0;

  constructor(
    private readonly kc: KubeConfig,
    private readonly instance: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  record(e: ProxyEvent): void {
    const key = objectKey(e.regarding);
    const sent = this.sent.get(key);
    if (sent?.get(e.reason) === e.note) return; // the same cause, still there
    if (!this.take(key)) return;
    if (this.pending >= MAX_PENDING) { this.dropped++; return; }
    (sent ?? this.sent.set(key, new Map()).get(key)!).set(e.reason, e.note);
    this.pending++;
    void this.send(e).finally(() => { this.pending--; });
  }

  forget(regarding: ObjectRef, reason: string): void {
    const key = objectKey(regarding);
    const sent = this.sent.get(key);
    if (!sent) return;
    sent.delete(reason);
    if (sent.size > 0) return;
    this.sent.delete(key);
    // a full bucket is what a new one would be: dropped, so objects that come and go leave nothing
    if (this.bucket(key).tokens === BURST) this.buckets.delete(key);
  }

  private take(key: string): boolean {
    const b = this.bucket(key);
    if (b.tokens === 0) return false;
    b.tokens--;
    return true;
  }

  /** The object's token bucket, refilled for the time passed. */
  private bucket(key: string): Bucket {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { tokens: BURST, at: now }));
    const refills = Math.floor((now - b.at) / REFILL_MS);
    if (refills > 0) { b.tokens = Math.min(BURST, b.tokens + refills); b.at += refills * REFILL_MS; }
    return b;
  }

  private async send(e: ProxyEvent): Promise<void> {
    const namespace = e.regarding.namespace ?? 'default';
    const at = new Date(this.now());
    const body = {
      apiVersion: 'events.k8s.io/v1', kind: 'Event',
      metadata: { name: `${e.regarding.name}.${(at.getTime() * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`, namespace },
      // MicroTime: RFC 3339 with microseconds
      eventTime: at.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
      reportingController: REPORTING_CONTROLLER, reportingInstance: this.instance,
      action: e.action, reason: e.reason, regarding: e.regarding, note: e.note.slice(0, 1024), type: e.type,
    };
    const fields = { event: e.reason, regarding: `${e.regarding.kind} ${namespace === 'default' && !e.regarding.namespace ? '' : `${namespace}/`}${e.regarding.name}` };
    try {
      const r = await apiRequest(this.kc, 'POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, { body, timeoutMs: TIMEOUT_MS });
      if (r.status !== 201) this.log.warn({ ...fields, status: r.status, err: r.text.slice(0, 300) }, 'the API server did not take an Event');
      else if (this.dropped > 0) { this.log.warn({ dropped: this.dropped }, 'Events dropped while the API server was slow'); this.dropped = 0; }
    } catch (err) {
      this.log.warn({ ...fields, err: (err as Error).message }, 'cannot send an Event');
    }
  }
}

const objectKey = (r: ObjectRef) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;
