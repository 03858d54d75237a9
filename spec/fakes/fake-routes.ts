// The kernel's route lookup in memory: local addresses, then the longest matching prefix.
import { cidrContains } from '../../lib/net/address.js';
import type { Route, Routes } from '../../lib/kernel/links/routes.js';

export class FakeRoutes implements Routes {
  constructor(
    /** this host's addresses (each a local route by lo) */
    private readonly local: () => Promise<readonly string[]>,
    /** prefix -> interface and source, longest first */
    private readonly table: ReadonlyArray<{ readonly prefix: string; readonly device: string; readonly source: string; readonly gateway?: string }>,
  ) {}

  async get(address: string): Promise<Route | undefined> {
    if ((await this.local()).includes(address)) return { type: 'local', device: 'lo', source: address, gateway: undefined };
    const r = this.table.find((t) => cidrContains(t.prefix, address));
    return r && { type: 'unicast', device: r.device, source: r.source, gateway: r.gateway };
  }
}
