// The kernel's route lookup (`ip route get`): which interface and source address a packet to an
// address takes, as the kernel itself decides. `explain` uses it for a node's source address, the
// interface a client's packets arrive by, and the address a masqueraded packet leaves with.
import { KernelError } from '../errors.js';
import { runTool, type ToolRunner } from '../tool.js';

export interface Route {
  /** "local" for an address of this host, "unicast" for one reached through an interface, or the kernel's other route types */
  readonly type: string;
  /** the interface ("lo" for local addresses) */
  readonly device: string;
  /** the source address the kernel picks for packets to it */
  readonly source: string | undefined;
  readonly gateway: string | undefined;
}

export interface Routes {
  /** The route to an address; undefined when there is none (unreachable). */
  get(address: string): Promise<Route | undefined>;
}

interface IpRouteJson { type?: string; dev?: string; prefsrc?: string; gateway?: string }

export class IpRoutes implements Routes {
  constructor(private readonly run: ToolRunner = runTool) {}

  async get(address: string): Promise<Route | undefined> {
    const r = await this.run('ip', ['-j', 'route', 'get', address]);
    if (r.code !== 0) {
      if (/unreachable|No route/i.test(r.stderr)) return undefined;
      throw new KernelError('ROUTE', 'look up the route', address, r.stderr.trim());
    }
    const [route] = JSON.parse(r.stdout) as IpRouteJson[];
    if (!route) return undefined;
    return { type: route.type ?? 'unicast', device: route.dev ?? '', source: route.prefsrc, gateway: route.gateway };
  }
}
