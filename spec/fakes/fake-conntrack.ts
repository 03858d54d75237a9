// conntrack's flow table in memory, for unit tests.
import type { Conntrack, Flow, FlowFilter } from '../../lib/kernel/conntrack/conntrack.js';
import type { Protocol } from '../../lib/kernel/ipvs/types.js';

/** Flows in memory, for unit tests: each as the filter fields it has. */
export class FakeConntrack implements Conntrack {
  flows: Array<{ protocol: Protocol; vip: string; vport: number; realServer: string }> = [];
  async deleteFlows(f: FlowFilter): Promise<number> {
    const before = this.flows.length;
    this.flows = this.flows.filter((x) => !(x.protocol === f.protocol && x.vip === f.vip && x.vport === f.vport && (!f.realServer || x.realServer === f.realServer)));
    return before - this.flows.length;
  }

  async listFlows(f: FlowFilter): Promise<Flow[]> {
    return this.flows.filter((x) => x.protocol === f.protocol && x.vip === f.vip && x.vport === f.vport && (!f.realServer || x.realServer === f.realServer))
      .map((x) => ({
        protocol: x.protocol, state: x.protocol === 'tcp' ? 'ESTABLISHED' : undefined,
        original: { source: '10.244.0.2', destination: x.vip, sourcePort: 40000, destinationPort: x.vport },
        reply: { source: x.realServer, destination: '10.244.0.2', sourcePort: x.vport, destinationPort: 40000 },
        text: `${x.protocol} src=10.244.0.2 dst=${x.vip} sport=40000 dport=${x.vport} src=${x.realServer} dst=10.244.0.2 sport=${x.vport} dport=40000`,
      }));
  }
}
