// `ipvs-proxy migrate [plan|start|nodes|finish|rollback]`: run by an operator with a kubeconfig.
// plan says where a move of the cluster from kube-proxy (IPVS mode) to ipvs-proxy stands, what the
// next step does, and every reason it cannot go on safely, and changes nothing; start installs
// ipvs-proxy for labelled nodes and keeps kube-proxy off them; nodes moves nodes one batch at a
// time, each gated on the new proxy's health, and back when a gate fails; finish removes
// kube-proxy's DaemonSet; rollback moves every node back the same way. Each step reads where the
// cluster stands from the API (labels, DaemonSets, pods), so any of them can be run again.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { command } from '../command.js';
import { GLOBAL_OPTIONS, option, uniqueOptions } from '../options.js';
import { readConfigDocument } from '../settings.js';
import { RUN_OPTIONS } from './run.js';
import { OUTPUT_OPTION } from './status.js';
import { assessMigration, type MigrationPlan } from '../../migrate/assess.js';
import type { ClusterFacts, NodeFacts } from '../../migrate/facts.js';
import type { ProxySide } from '../../migrate/node-steps.js';
import type { KubeObject } from '../../migrate/objects.js';
import type { KubeConfig } from '../../sources/kube-client.js';

const STEPS = ['plan', 'start', 'nodes', 'finish', 'rollback'] as const;
type Step = (typeof STEPS)[number];
const RUN_SPECS = new Map(uniqueOptions([...GLOBAL_OPTIONS, ...RUN_OPTIONS]).map((s) => [s.key, s]));
const RUN_KEYS = new Set(RUN_SPECS.keys());
/** kube-proxy's config.conf read as `ipvs-proxy run` would read it. */
export const readRunConfig = (doc: unknown) => readConfigDocument(doc, RUN_SPECS, RUN_KEYS);
const HEALTHZ_PORT = 10256;

export const migrateCommand = command({
  name: 'migrate',
  summary: 'move a cluster from kube-proxy (IPVS mode) to ipvs-proxy: plan (changes nothing), start, nodes, finish; rollback',
  options: [
    option({ key: 'kubeconfig', flag: 'kubeconfig', doc: "the operator's kubeconfig (default ~/.kube/config)", type: 'string', default: '', env: 'KUBECONFIG', meta: 'FILE' }),
    option({ key: 'master', flag: 'master', doc: "the control-plane endpoint ipvs-proxy will use (https://HOST:PORT), over the server of kube-proxy's kubeconfig.conf", type: 'string', default: '', meta: 'URL' }),
    option({ key: 'image', flag: 'image', doc: "migrate start: ipvs-proxy's image, over the manifest's", type: 'string', default: '', meta: 'IMAGE' }),
    option({ key: 'nodes', flag: 'nodes', doc: 'migrate nodes/rollback: only these nodes (default: every node still to move)', type: 'list', default: [], meta: 'NODE' }),
    option({ key: 'batch', flag: 'batch', doc: 'migrate nodes/rollback: nodes moved at once', type: 'integer', default: 1, meta: 'N' }),
    option({ key: 'probe', flag: 'probe', doc: "migrate nodes/rollback: a NodePort Service each moved node must answer on (a TCP connection from here to the node's address)", type: 'string', default: '', meta: 'NAMESPACE/NAME' }),
    option({ key: 'timeout', flag: 'timeout', doc: "migrate nodes/rollback: how long a node's step (a pod to go or be ready) or its gates may take before it goes back", type: 'duration', default: 180_000, meta: 'DURATION' }),
    option({ key: 'wait', flag: 'wait', doc: "start, finish, rollback: wait while a DaemonSet's pods restart for a change they made (--no-wait: go on at once)", type: 'boolean', default: true }),
    OUTPUT_OPTION,
  ] as const,
  run: async ({ settings, positionals, stdout, stderr, env }) => {
    const step = (positionals[0] ?? 'plan') as Step;
    if (!STEPS.includes(step) || positionals.length > 1) {
      stderr.write(`ipvs-proxy migrate: unknown step "${positionals.join(' ')}"; the steps: ${STEPS.join(', ')}\n`);
      return 2;
    }
    if (settings.batch < 1) { stderr.write('ipvs-proxy migrate: --batch must be at least 1\n'); return 2; }
    if (settings.probe && !/^[^/\s]+\/[^/\s]+$/.test(settings.probe)) { stderr.write(`ipvs-proxy migrate: --probe "${settings.probe}" is not NAMESPACE/NAME\n`); return 2; }
    const master = settings.master || undefined;
    const say = (line: string) => { if (settings.output === 'text') stdout.write(`${line}\n`); else stderr.write(`${line}\n`); };
    try {
      // the API client is loaded only when a command talks to the API server (start-up time)
      const [{ apiEndpoint }, { readClusterFacts }] = await Promise.all([import('../../sources/api-endpoint.js'), import('../../migrate/read-cluster.js')]);
      // as kubectl: --kubeconfig, KUBECONFIG, else ~/.kube/config
      const kubeconfig = settings.kubeconfig || join(env.HOME ?? homedir(), '.kube', 'config');
      if (!existsSync(kubeconfig)) { stderr.write(`ipvs-proxy migrate: no kubeconfig at ${kubeconfig}: give one with --kubeconfig\n`); return 1; }
      const { kubeConfig } = apiEndpoint({ kubeconfig });
      const readFacts = () => readClusterFacts(kubeConfig);
      const assess = (facts: ClusterFacts) => assessMigration(facts, { master, readConfig: readRunConfig });
      const facts = await readFacts();
      let plan: MigrationPlan = assess(facts);
      let code = plan.refusals.length ? 1 : 0;
      if (step !== 'plan' && !plan.refusals.length) {
        const objects = await import('../../migrate/objects.js');
        const manifests = objects.readManifests();
        const installed = () => objects.migrationObjects(manifests, { image: settings.image || undefined, master });
        const stepDone = await runStep(step, plan, facts, { kubeConfig, kubeconfig, readFacts, installed, namespace: manifests.namespace, settings, say, stderr });
        code = stepDone ? 0 : 1;
        plan = assess(await readFacts());
        if (settings.output === 'text') stdout.write('\n');
      }
      stdout.write(settings.output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
      return plan.refusals.length ? 1 : code;
    } catch (e) {
      stderr.write(`ipvs-proxy migrate: ${(e as Error).message}\n`);
      return 1;
    }
  },
});

interface StepContext {
  readonly kubeConfig: KubeConfig;
  readonly kubeconfig: string;
  readonly readFacts: () => Promise<ClusterFacts>;
  readonly installed: () => KubeObject[];
  readonly namespace: string;
  readonly settings: { readonly nodes: readonly string[]; readonly batch: number; readonly probe: string; readonly timeout: number; readonly wait: boolean };
  readonly say: (line: string) => void;
  readonly stderr: NodeJS.WritableStream;
}

/** One step past plan; false when it stopped short (a node went back, or the step cannot run now). */
async function runStep(step: Exclude<Step, 'plan'>, plan: MigrationPlan, facts: ClusterFacts, c: StepContext): Promise<boolean> {
  const refuse = (why: string) => { c.stderr.write(`ipvs-proxy migrate ${step}: ${why}\n`); return false; };
  const { kubeConfig, namespace, say } = c;
  switch (step) {
    case 'start': {
      if (plan.stage === 'finished') return refuse("the migration is finished: kube-proxy's DaemonSet is gone");
      const { startMigration } = await import('../../migrate/start.js');
      for (const line of await startMigration(kubeConfig, c.installed(), namespace, c.settings.wait)) say(line);
      return true;
    }
    case 'finish': {
      if (plan.stage === 'not started') return refuse('the migration has not started (migrate start)');
      if (plan.onKubeProxy.length || plan.between.length) return refuse(`nodes not yet on ipvs-proxy: ${[...plan.between, ...plan.onKubeProxy].join(', ')} (migrate nodes)`);
      const { finishMigration } = await import('../../migrate/finish.js');
      for (const line of await finishMigration(kubeConfig, namespace, c.settings.wait)) say(line);
      return true;
    }
    case 'nodes':
    case 'rollback': {
      if (plan.stage === 'not started') return refuse('the migration has not started (migrate start)');
      if (step === 'nodes' && plan.stage === 'finished') return refuse('the migration is finished: every node runs ipvs-proxy');
      const finish = await import('../../migrate/finish.js');
      if (step === 'rollback') for (const line of await finish.prepareRollback(kubeConfig, namespace, c.settings.wait)) say(line);
      // (prepareRollback changes DaemonSets, not the nodes' labels the plan was read from)
      const to = step === 'nodes' ? 'ipvs-proxy' : 'kube-proxy';
      const todo = facts.nodes.filter((n) => (to === 'ipvs-proxy' ? !n.labelled : n.labelled || n.moving))
        .map((n) => n.name).filter((n) => !c.settings.nodes.length || c.settings.nodes.includes(n));
      const unknown = c.settings.nodes.filter((n) => !facts.nodes.some((f) => f.name === n));
      if (unknown.length) return refuse(`no such nodes: ${unknown.join(', ')}`);
      const ok = await moveAll(to, todo, facts.nodes, c);
      if (!ok || step === 'nodes') return ok;
      const left = (await c.readFacts()).nodes.filter((n) => n.labelled || n.moving);
      if (left.length) { say(`nodes still on ipvs-proxy: ${left.map((n) => n.name).join(', ')}; the rollback completes once they move (migrate rollback)`); return true; }
      for (const line of await finish.completeRollback(kubeConfig, c.installed(), namespace, c.settings.wait)) say(line);
      return true;
    }
  }
}

/** Moves the nodes, gated, with Ctrl-C sending a node not yet through its gates back. */
async function moveAll(to: ProxySide, todo: readonly string[], nodes: readonly NodeFacts[], c: StepContext): Promise<boolean> {
  const [{ ClusterApi }, { moveNodes }] = await Promise.all([import('../../migrate/cluster-api.js'), import('../../migrate/move.js')]);
  const api = new ClusterApi({ kubeConfig: c.kubeConfig, kubeconfigPath: c.kubeconfig, kubeProxy: 'kube-proxy', ipvsProxy: 'ipvs-proxy', ipvsProxyContainer: 'ipvs-proxy' });
  const probePort = c.settings.probe ? await api.nodePort(c.settings.probe) : undefined;
  const address = new Map(nodes.map((n) => [n.name, n.internalIP]));
  if (probePort !== undefined) {
    const none = todo.filter((n) => !address.get(n));
    if (none.length) throw new Error(`--probe: no InternalIP address on ${none.join(', ')}`);
  }
  if (!todo.length) { c.say(`no node to move to ${to}`); return true; }
  c.say(`moving ${todo.length} node${todo.length > 1 ? 's' : ''} to ${to}, ${c.settings.batch} at a time: ${todo.join(', ')}`);
  const interrupt = new AbortController();
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) { c.say('interrupted again: exiting now; migrate plan shows which nodes are between the proxies, and migrate nodes or rollback settles them'); process.exit(130); }
    c.say('interrupted: nodes not yet through their gates go back (again to exit at once)');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcomes = await moveNodes(api, todo, {
      to, batch: c.settings.batch, stepTimeoutMs: c.settings.timeout, signal: interrupt.signal,
      gates: (node) => ({ healthzPort: HEALTHZ_PORT, timeoutMs: c.settings.timeout,
        ...(probePort !== undefined ? { probe: { service: c.settings.probe, address: address.get(node)!, port: probePort } } : {}) }),
      say: (node, line) => c.say(`${new Date().toISOString().slice(11, 19)} ${node}: ${line}`),
    });
    const back = outcomes.filter((o) => !o.moved);
    const moved = outcomes.filter((o) => o.moved);
    if (moved.length) c.say(`moved to ${to}: ${moved.map((o) => `${o.node} (${o.seconds.toFixed(0)} s)`).join(', ')}`);
    for (const o of back) c.say(`${o.node} went back to ${o.on}: ${o.reason}`);
    if (back.length || outcomes.length < todo.length) c.say(`stopped: ${todo.length - moved.length} of ${todo.length} nodes not moved`);
    return back.length === 0 && outcomes.length === todo.length;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function renderPlan(p: MigrationPlan): string {
  const lines = [`Migration from kube-proxy: ${p.stage}`];
  if (p.mode) lines.push(`kube-proxy mode: ${p.mode}`);
  if (p.apiServer) lines.push(`control-plane endpoint: ${p.apiServer}`);
  const carried = Object.entries(p.settings);
  if (carried.length) lines.push(`settings taken over from config.conf: ${carried.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(', ')}`);
  lines.push(`nodes on kube-proxy (${p.onKubeProxy.length}): ${p.onKubeProxy.join(', ') || '-'}`);
  lines.push(`nodes on ipvs-proxy (${p.onIpvsProxy.length}): ${p.onIpvsProxy.join(', ') || '-'}`);
  if (p.between.length) lines.push(`nodes between the two, neither proxy running (${p.between.length}): ${p.between.join(', ')}`);
  if (p.refusals.length) {
    lines.push('', 'It cannot go on:');
    for (const r of p.refusals) lines.push(`  - ${r}`);
  } else if (p.next.length) {
    lines.push('', 'Next:');
    for (const n of p.next) lines.push(`  - ${n}`);
  } else {
    lines.push('', 'Done: every node runs ipvs-proxy.');
  }
  return `${lines.join('\n')}\n`;
}
