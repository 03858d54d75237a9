// Removing conntrack entries of UDP and SCTP flows whose real server is gone (upstream #71514,
// #105192): without it, a client keeps sending into a flow whose backend no longer exists until
// the entry times out. Through the conntrack tool (one run per removed real server: rare).
import { KernelError } from '../errors.js';
import { runTool, type ToolRunner } from '../tool.js';
import type { Protocol } from '../ipvs/types.js';

export interface FlowFilter {
  readonly protocol: Protocol;
  /** the virtual server the flows were sent to */
  readonly vip: string;
  readonly vport: number;
  /** only flows answered by this real server; all flows to the virtual server when absent */
  readonly realServer?: string;
}

/** One direction of a tracked flow. */
export interface FlowTuple {
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
}

/** A conntrack entry: the client's tuple and the reply's (whose source is the real server, whose destination is what the backend saw). */
export interface Flow {
  readonly protocol: Protocol;
  /** the TCP state ("ESTABLISHED", "TIME_WAIT"…); undefined for UDP */
  readonly state: string | undefined;
  readonly original: FlowTuple;
  readonly reply: FlowTuple;
  /** the line as conntrack -L prints it */
  readonly text: string;
}

export interface Conntrack {
  /** Delete matching entries; returns how many were deleted. */
  deleteFlows(f: FlowFilter): Promise<number>;
  /** The entries of flows sent to a virtual server (and answered by realServer, if given). */
  listFlows(f: FlowFilter): Promise<Flow[]>;
}

export function conntrackArgs(f: FlowFilter, verb: '-D' | '-L' = '-D'): string[] {
  const family = f.vip.includes(':') ? ['-f', 'ipv6'] : [];
  return [verb, ...family, '-p', f.protocol, '--orig-dst', f.vip, '--orig-port-dst', String(f.vport), ...(f.realServer ? ['--reply-src', f.realServer] : [])];
}

export class ConntrackCli implements Conntrack {
  constructor(private readonly run: ToolRunner = runTool) {}

  async deleteFlows(f: FlowFilter): Promise<number> {
    const r = await this.run('conntrack', conntrackArgs(f));
    const n = Number(/(\d+) flow entries have been deleted/.exec(r.stderr)?.[1] ?? NaN);
    // conntrack exits 1 when nothing matched: that is success here.
    if (Number.isFinite(n)) return n;
    if (r.code !== 0) throw new KernelError('CONNTRACK', 'delete conntrack entries', `${f.protocol} ${f.vip}:${f.vport}${f.realServer ? ` from ${f.realServer}` : ''}`, r.stderr.trim());
    return 0;
  }

  async listFlows(f: FlowFilter): Promise<Flow[]> {
    const r = await this.run('conntrack', conntrackArgs(f, '-L'));
    // conntrack exits 1 when nothing matched, with its summary on stderr
    if (r.code !== 0 && !/flow entries have been shown/.test(r.stderr)) {
      throw new KernelError('CONNTRACK', 'list conntrack entries', `${f.protocol} ${f.vip}:${f.vport}`, r.stderr.trim());
    }
    return r.stdout.split('\n').flatMap((line) => { const flow = parseFlow(line); return flow ? [flow] : []; });
  }
}

/** One line of `conntrack -L`: the first src/dst/sport/dport are the original direction, the second the reply's. */
export function parseFlow(line: string): Flow | undefined {
  const words = line.trim().split(/\s+/);
  const protocol = words[0];
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') return undefined;
  const fields: Array<Record<string, string>> = [{}, {}];
  let dir = -1;
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) continue;
    const k = w.slice(0, eq);
    if (k === 'src') dir++;
    if (dir >= 0 && dir < 2 && ['src', 'dst', 'sport', 'dport'].includes(k)) fields[dir]![k] = w.slice(eq + 1);
  }
  const tuple = (t: Record<string, string>): FlowTuple | undefined => (t.src && t.dst
    ? { source: t.src, destination: t.dst, sourcePort: Number(t.sport ?? 0), destinationPort: Number(t.dport ?? 0) } : undefined);
  const [original, reply] = [tuple(fields[0]!), tuple(fields[1]!)];
  if (!original || !reply) return undefined;
  const state = protocol === 'tcp' ? words.find((w) => /^[A-Z_]+$/.test(w)) : undefined;
  return { protocol, state, original, reply, text: line.trim() };
}
