// Reading the tools' output: `ip -j route get` into a Route, `conntrack -L` lines into flows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpRoutes } from '../../../lib/kernel/links/routes.js';
import { ConntrackCli, parseFlow } from '../../../lib/kernel/conntrack/conntrack.js';
import type { ToolRunner } from '../../../lib/kernel/tool.js';

const runner = (out: Record<string, { code: number; stdout?: string; stderr?: string }>, calls: string[][] = []): ToolRunner => async (cmd, args) => {
  calls.push([cmd, ...args]);
  const r = out[args[args.length - 1]!] ?? out['*']!;
  return { code: r.code, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
};

test('routes: a local address, a gatewayed one, and none (unreachable) as ip -j route get prints them', async () => {
  const routes = new IpRoutes(runner({
    '10.96.0.10': { code: 0, stdout: '[{"type":"local","dst":"10.96.0.10","dev":"lo","prefsrc":"10.96.0.10","flags":[],"uid":0,"cache":["local"]}]' },
    '10.244.2.20': { code: 0, stdout: '[{"dst":"10.244.2.20","gateway":"192.168.100.2","dev":"nb0","prefsrc":"192.168.100.1","flags":[],"uid":0,"cache":[]}]' },
    '203.0.113.1': { code: 2, stderr: 'RTNETLINK answers: Network is unreachable' },
  }));
  assert.deepEqual(await routes.get('10.96.0.10'), { type: 'local', device: 'lo', source: '10.96.0.10', gateway: undefined });
  assert.deepEqual(await routes.get('10.244.2.20'), { type: 'unicast', device: 'nb0', source: '192.168.100.1', gateway: '192.168.100.2' });
  assert.equal(await routes.get('203.0.113.1'), undefined);
});

test('conntrack: a TCP line gives both directions and the state; an empty listing (exit 1) is no flows; another failure throws', async () => {
  const line = 'tcp      6 118 TIME_WAIT src=192.168.100.2 dst=192.168.100.1 sport=43210 dport=30080 src=10.244.1.10 dst=10.244.1.1 sport=8080 dport=43210 [ASSURED] mark=0 use=1';
  assert.deepEqual(parseFlow(line), {
    protocol: 'tcp', state: 'TIME_WAIT',
    original: { source: '192.168.100.2', destination: '192.168.100.1', sourcePort: 43210, destinationPort: 30080 },
    reply: { source: '10.244.1.10', destination: '10.244.1.1', sourcePort: 8080, destinationPort: 43210 },
    text: line,
  });
  assert.equal(parseFlow('udp      17 27 src=10.244.1.11 dst=10.96.0.53 sport=5000 dport=53 src=10.244.2.20 dst=10.244.1.11 sport=5353 dport=5000 mark=0 use=1')?.state, undefined);
  assert.equal(parseFlow('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.'), undefined);
  const calls: string[][] = [];
  const none = new ConntrackCli(runner({ '*': { code: 1, stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n' } }, calls));
  assert.deepEqual(await none.listFlows({ protocol: 'tcp', vip: '10.96.0.10', vport: 80 }), []);
  assert.deepEqual(calls[0], ['conntrack', '-L', '-p', 'tcp', '--orig-dst', '10.96.0.10', '--orig-port-dst', '80']);
  const broken = new ConntrackCli(runner({ '*': { code: 1, stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: Protocol not supported' } }));
  await assert.rejects(broken.listFlows({ protocol: 'tcp', vip: '10.96.0.10', vport: 80 }), /list conntrack entries tcp 10\.96\.0\.10:80: CONNTRACK/);
});
