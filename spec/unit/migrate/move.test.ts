// Moving nodes between the proxies: the steps from every intermediate state a node can be left in,
// gates that fail, steps that never finish, and an interruption. The fake cluster acts as the
// DaemonSet controller and the kubelet do: each look at a node moves each pod one phase on, a pod
// whose node no longer fits its DaemonSet goes (terminating, then gone), a wanted one starts
// (starting, then ready).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MOVING } from '../../../lib/migrate/facts.js';
import { adoptionLimit, firstSync, missingVirtualServers } from '../../../lib/migrate/gates.js';
import { moveNode, moveNodes, type MoveApi, type MoveOptions } from '../../../lib/migrate/move.js';
import { nextAction, standing, type NodeView, type PodPhase, type ProxySide } from '../../../lib/migrate/node-steps.js';
import type { StatusReport } from '../../../lib/status/report.js';

const SERVICES = ['default/kubernetes 443/TCP', 'kube-system/kube-dns 53/UDP', 'kube-system/kube-dns 53/TCP'];
const report = (ports: readonly string[]): StatusReport => ({ from: 'proxy', problems: [], otherVirtualServers: [],
  services: ports.map((k) => {
    const [svc, pp] = k.split(' ');
    const [namespace, name] = svc!.split('/');
    const [port, upper] = pp!.split('/');
    // as the real report has it: the kernel's lowercase names
    const protocol = upper!.toLowerCase();
    return { namespace: namespace!, name: name!, type: 'ClusterIP', ports: [{ name: '', protocol: protocol!, port: Number(port),
      endpoints: { ready: 1, serving: 1, terminating: 0 } as never,
      virtualServers: [{ key: `${protocol} 10.96.0.1:${port}`, address: '10.96.0.1', port: Number(port), protocol: protocol!, role: 'cluster-ip', scheduler: 'rr', counts: {} as never }] }] };
  }) });

interface FakeNode { label?: string; kubeProxy: PodPhase; ipvsProxy: PodPhase; gen: number }

class FakeCluster implements MoveApi {
  readonly nodes = new Map<string, FakeNode>();
  readonly labels: string[] = [];
  /** what the proxies' gates see */
  healthzStatus = 200;
  syncLog = JSON.stringify({ msg: 'synced', operations: 4, failed: 0 });
  virtualServers: readonly string[] = SERVICES;
  /** ipvs-proxy's pod never becomes ready (an image that does not start) */
  ipvsProxyStuck = false;

  add(name: string, n: Partial<FakeNode> = {}): this {
    this.nodes.set(name, { kubeProxy: 'ready', ipvsProxy: 'none', gen: 0, ...n });
    return this;
  }

  async view(name: string): Promise<NodeView> {
    const n = this.nodes.get(name)!;
    const step = (phase: PodPhase, wanted: boolean, stuck = false): PodPhase => {
      if (!wanted) return phase === 'none' || phase === 'terminating' ? 'none' : 'terminating';
      if (phase === 'none' || phase === 'terminating') return phase === 'terminating' ? 'terminating' : 'starting';
      return stuck ? 'starting' : 'ready';
    };
    n.kubeProxy = step(n.kubeProxy, n.label === undefined);
    n.ipvsProxy = step(n.ipvsProxy, n.label === 'true', this.ipvsProxyStuck);
    return { name, ...(n.label === undefined ? {} : { label: n.label }),
      kubeProxy: { phase: n.kubeProxy, ...(n.kubeProxy === 'none' ? {} : { pod: `kube-proxy-${name}` }) },
      ipvsProxy: { phase: n.ipvsProxy, ...(n.ipvsProxy === 'none' ? {} : { pod: `ipvs-proxy-${name}` }) } };
  }

  async setLabel(name: string, value: string | undefined): Promise<void> {
    const n = this.nodes.get(name)!;
    // the invariant the steps keep: never both proxies on a node
    assert.ok(!(value === 'true' && n.kubeProxy !== 'none') && !(value === undefined && n.ipvsProxy !== 'none'), `${name}: label ${value} while a pod of the other proxy is there`);
    if (value === undefined) delete n.label; else n.label = value;
    this.labels.push(`${name}=${value ?? '-'}`);
  }

  async healthz(): Promise<number> { return this.healthzStatus; }
  async podLog(): Promise<string> { return `not json\n${this.syncLog}\n`; }
  async proxyStatus(): Promise<StatusReport> { return report(this.virtualServers); }
  async servicePorts(): Promise<string[]> { return [...SERVICES]; }
  async connect(): Promise<number> { return 1; }
}

const lines: string[] = [];
const options = (to: ProxySide, over: Partial<MoveOptions> = {}): MoveOptions => ({
  to, batch: 1, stepTimeoutMs: 50, pollMs: 1, say: (node, line) => lines.push(`${node}: ${line}`),
  gates: () => ({ healthzPort: 10256, timeoutMs: 30, intervalMs: 1 }), ...over,
});
const where = async (c: FakeCluster, n: string) => standing(await c.view(n));

test('migrate nodes: a node on kube-proxy goes through "moving" to ipvs-proxy, which is let in only once kube-proxy\'s pod is gone; its gates pass', async () => {
  const c = new FakeCluster().add('a');
  const out = await moveNode(c, 'a', options('ipvs-proxy'));
  assert.deepEqual([out.moved, out.on], [true, 'ipvs-proxy']);
  assert.deepEqual(c.labels, [`a=${MOVING}`, 'a=true']);
  assert.equal(await where(c, 'a'), 'ipvs-proxy');
});

test('migrate rollback: a node on ipvs-proxy goes back through "moving", the label removed only once ipvs-proxy\'s pod is gone', async () => {
  const c = new FakeCluster().add('a', { label: 'true', kubeProxy: 'none', ipvsProxy: 'ready' });
  const out = await moveNode(c, 'a', options('kube-proxy'));
  assert.deepEqual([out.moved, out.on], [true, 'kube-proxy']);
  assert.deepEqual(c.labels, [`a=${MOVING}`, 'a=-']);
});

// every state a node can be left in by an interruption: its label and each proxy's pod
const STATES: Array<[string, Partial<FakeNode>]> = [
  ['labelled moving, kube-proxy still terminating', { label: MOVING, kubeProxy: 'terminating' }],
  ['labelled moving, neither pod', { label: MOVING, kubeProxy: 'none' }],
  ['labelled moving, ipvs-proxy of a rollback still terminating', { label: MOVING, kubeProxy: 'none', ipvsProxy: 'terminating' }],
  ['labelled true, kube-proxy still terminating', { label: 'true', kubeProxy: 'terminating' }],
  ['labelled true, ipvs-proxy starting', { label: 'true', kubeProxy: 'none', ipvsProxy: 'starting' }],
  ['labelled true, ipvs-proxy ready (gates not run)', { label: 'true', kubeProxy: 'none', ipvsProxy: 'ready' }],
  ['no label, ipvs-proxy still terminating', { ipvsProxy: 'terminating', kubeProxy: 'none' }],
  ['no label, kube-proxy starting', { kubeProxy: 'starting' }],
];
for (const to of ['ipvs-proxy', 'kube-proxy'] as const) {
  for (const [name, state] of STATES) {
    test(`migrate ${to === 'ipvs-proxy' ? 'nodes' : 'rollback'}: resumed from "${name}": the node ends fully on ${to}, never with both proxies`, async () => {
      const c = new FakeCluster().add('a', state);
      const out = await moveNode(c, 'a', options(to));
      assert.deepEqual([out.moved, out.on], [true, to]);
      assert.equal(await where(c, 'a'), to);
    });
  }
}

test('migrate nodes: a gate that keeps failing (/healthz 503) sends the node back to kube-proxy, gated there, with the reason', async () => {
  const c = new FakeCluster().add('a');
  c.healthzStatus = 503;
  const out = await moveNode(c, 'a', options('ipvs-proxy')).catch((e: Error) => e);
  // kube-proxy's /healthz answers 503 too here: the node is back, but its own gate fails: an error says so
  assert.ok(out instanceof Error);
  assert.match(out.message, /a is back on kube-proxy after "gate \/healthz: answered 503 \(still, after 0 s\)", but fails its gate there/);
  assert.equal(await where(c, 'a'), 'kube-proxy');
});

test('migrate nodes: a first sync that rebuilt the state (too many operations) or had failures sends the node back, with the reason', async () => {
  for (const [log, why] of [
    [JSON.stringify({ msg: 'synced', operations: 500, failed: 0 }), /first sync: 500 operations for 3 Service ports \(at most 20\)/],
    [JSON.stringify({ msg: 'sync incomplete; retrying', operations: 9, failed: 2 }), /first sync: 2 of its 9 operations failed/],
    ['', /first sync: not in the log yet/],
  ] as const) {
    const c = new FakeCluster().add('a');
    c.syncLog = log;
    let kubeProxyHealth = 0;
    const api = Object.assign(Object.create(c) as FakeCluster, { healthz: async () => { kubeProxyHealth++; return 200; } });
    const out = await moveNode(api, 'a', options('ipvs-proxy'));
    assert.deepEqual([out.moved, out.on], [false, 'kube-proxy']);
    assert.match(out.reason!, why);
    assert.ok(kubeProxyHealth >= 2, 'both proxies were asked for /healthz');
    assert.equal(await where(c, 'a'), 'kube-proxy');
  }
});

test('migrate nodes: a Service port without its virtual server fails the gate, naming it', async () => {
  const c = new FakeCluster().add('a');
  c.virtualServers = SERVICES.slice(0, 2);
  const out = await moveNode(c, 'a', options('ipvs-proxy'));
  assert.equal(out.moved, false);
  assert.match(out.reason!, /virtual servers: 1 of 3 Service ports have none: kube-system\/kube-dns 53\/TCP/);
});

test("migrate nodes: ipvs-proxy's pod that never becomes ready sends the node back after the step's time", async () => {
  const c = new FakeCluster().add('a');
  c.ipvsProxyStuck = true;
  const out = await moveNode(c, 'a', options('ipvs-proxy'));
  assert.deepEqual([out.moved, out.on], [false, 'kube-proxy']);
  assert.match(out.reason!, /^waited 0 s for ipvs-proxy's pod to be ready$/);
  assert.equal(await where(c, 'a'), 'kube-proxy');
});

test('migrate nodes: interrupted while a node moves, that node goes back and no later node is touched', async () => {
  const c = new FakeCluster().add('a').add('b');
  const interrupt = new AbortController();
  const api = Object.assign(Object.create(c) as FakeCluster, {
    setLabel: async (n: string, v: string | undefined) => { await c.setLabel(n, v); if (v === 'true') interrupt.abort(); },
  });
  const out = await moveNodes(api, ['a', 'b'], options('ipvs-proxy', { signal: interrupt.signal }));
  assert.deepEqual(out.map((o) => [o.node, o.moved, o.on, o.reason]), [['a', false, 'kube-proxy', 'interrupted']]);
  assert.deepEqual([await where(c, 'a'), await where(c, 'b')], ['kube-proxy', 'kube-proxy']);
  assert.deepEqual(c.labels.filter((l) => l.startsWith('b')), []);
});

test('migrate nodes: in batches of two, a node that goes back stops the run after its batch', async () => {
  const c = new FakeCluster().add('a').add('b').add('c').add('d');
  const api = Object.assign(Object.create(c) as FakeCluster, {
    healthz: async (pod: string) => (pod === 'ipvs-proxy-b' ? 500 : 200),
  });
  const out = await moveNodes(api, ['a', 'b', 'c', 'd'], options('ipvs-proxy', { batch: 2 }));
  assert.deepEqual(out.map((o) => [o.node, o.on]), [['a', 'ipvs-proxy'], ['b', 'kube-proxy']]);
  assert.equal(await where(c, 'c'), 'kube-proxy');
});

test('migrate gates: the first sync is read from a bunyan log; the adoption limit grows with the Service ports', () => {
  assert.deepEqual(firstSync('{"msg":"starting"}\n{"msg":"synced","operations":7,"failed":0,"full":true}\n{"msg":"synced","operations":1}\n'), { ok: true, operations: 7, failed: 0 });
  assert.equal(firstSync('{"msg":"starting"}\n'), undefined);
  assert.deepEqual([adoptionLimit(3), adoptionLimit(40), adoptionLimit(10_000)], [20, 20, 5000]);
  assert.deepEqual(missingVirtualServers(SERVICES, report([])), SERVICES);
});

test('migrate steps: a node is never given to a proxy while the other one\'s pod is there', () => {
  const v = (label: string | undefined, kubeProxy: PodPhase, ipvsProxy: PodPhase): NodeView => ({ name: 'a', ...(label === undefined ? {} : { label }),
    kubeProxy: { phase: kubeProxy, pod: 'k' }, ipvsProxy: { phase: ipvsProxy, pod: 'i' } });
  const phases: PodPhase[] = ['none', 'starting', 'ready', 'terminating'];
  for (const to of ['ipvs-proxy', 'kube-proxy'] as const) {
    for (const label of [undefined, MOVING, 'true']) {
      for (const k of phases) {
        for (const i of phases) {
          const a = nextAction(to, v(label, k, i));
          if (a.kind === 'label' && a.value === 'true') assert.equal(k, 'none', `${to} ${label} ${k} ${i}`);
          if (a.kind === 'label' && a.value === undefined) assert.equal(i, 'none', `${to} ${label} ${k} ${i}`);
          if (a.kind === 'gate') assert.equal(to === 'ipvs-proxy' ? k : i, 'none');
        }
      }
    }
  }
});
