// conntrack's flow table in memory, for unit tests.
import type { Conntrack, FlowFilter } from '../../lib/kernel/conntrack/conntrack.js';
import type { Protocol } from '../../lib/kernel/ipvs/types.js';

/** Flows in memory, for unit tests: each as the filter fields it has. */
export class FakeConntrack implements Conntrack {
  flows: Array<{ protocol: Protocol; vip: string; vport: number; realServer: string }> = [];
  async deleteFlows(f: FlowFilter): Promise<number> {
    const before = this.flows.length;
    this.flows = this.flows.filter((x) => !(x.protocol === f.protocol && x.vip === f.vip && x.vport === f.vport && (!f.realServer || x.realServer === f.realServer)));
    return before - this.flows.length;
  }
}
