// A whole fake kernel (IPVS, links, ipsets, iptables) with the node of spec/helpers/objects.ts.
import { FakeIpvs } from '../fakes/fake-ipvs.js';
import { FakeLinks } from '../fakes/fake-links.js';
import { FakeIpsets } from '../fakes/fake-ipsets.js';
import { FakeIptables } from '../fakes/fake-iptables.js';
import type { Kernel } from '../../lib/sync/kernel.js';
import { createLogger } from '../../lib/log.js';
import { PassThrough } from 'node:stream';

export interface FakeKernel extends Kernel {
  readonly ipvs: FakeIpvs;
  readonly links: FakeLinks;
  readonly ipsets: FakeIpsets;
  readonly iptables: FakeIptables;
}

export function fakeKernel(): FakeKernel {
  const links = new FakeLinks();
  links.addLink('eth0', 'veth', ['192.168.1.10/24', 'fd00:1::10/64']);
  links.addLink('eth1', 'veth', ['172.16.0.10/16']);
  return { ipvs: new FakeIpvs(), links, ipsets: new FakeIpsets(), iptables: new FakeIptables() };
}

/** A logger that keeps its JSON lines, for tests that assert on logs. */
export function memoryLogger(level: 'debug' | 'info' = 'info') {
  const stream = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  stream.on('data', (b: Buffer) => { for (const l of b.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); });
  return { log: createLogger(level, stream), lines };
}
