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

export interface Conntrack {
  /** Delete matching entries; returns how many were deleted. */
  deleteFlows(f: FlowFilter): Promise<number>;
}

export function conntrackArgs(f: FlowFilter): string[] {
  const family = f.vip.includes(':') ? ['-f', 'ipv6'] : [];
  return ['-D', ...family, '-p', f.protocol, '--orig-dst', f.vip, '--orig-port-dst', String(f.vport), ...(f.realServer ? ['--reply-src', f.realServer] : [])];
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
}
