// npm run conformance [-- --proxy ipvs-proxy|kube-proxy] [--focus REGEX] [--nodes N] [--out DIR]:
// brings the cluster up with that proxy (scripts/cluster/cluster.ts), runs upstream's
// `[sig-network] Services` e2e tests against it (narrowed by --focus), prints one line per test
// and a count, keeps the JSON and JUnit reports and every log in the run's folder, and removes the
// cluster. Runs inside scripts/cluster/netns-run (scripts/conformance does that).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeCluster, imageArchives } from './cluster.js';
import { focusFor, runE2e, type SpecResult } from './e2e.js';
import { PROXIES, type ProxyName } from './proxies.js';
import { logTails } from './steps.js';

const REPO = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: {
  proxy: { type: 'string', default: 'ipvs-proxy' },
  focus: { type: 'string' },
  nodes: { type: 'string', default: '2' },
  out: { type: 'string' },
  timeout: { type: 'string', default: '8h' },
}, strict: true });

const proxy = values.proxy as ProxyName;
if (!PROXIES.includes(proxy)) { console.error(`conformance: --proxy must be one of ${PROXIES.join(', ')}, not ${values.proxy}`); process.exit(2); }
const nodes = Number(values.nodes);
if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) { console.error('conformance: --nodes must be a whole number from 1 to 8'); process.exit(2); }
if (values.focus !== undefined) {
  try { new RegExp(values.focus); } catch (e) { console.error(`conformance: --focus is not a regular expression: ${(e as Error).message}`); process.exit(2); }
}
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const dir = resolve(values.out ?? join(REPO, 'conformance-results', `${proxy}-${stamp}`));
mkdirSync(dir, { recursive: true });
const started = Date.now();
const say = (l: string) => console.log(l);
say(`conformance: ${proxy} on ${nodes} nodes; reports and logs in ${dir}`);

// temporary files (the control plane's) in the run's folder: even a run killed outright leaves none elsewhere
process.env.TMPDIR = join(dir, 'tmp');
mkdirSync(process.env.TMPDIR, { recursive: true });

let cluster: KubeCluster | undefined;
let results: SpecResult[] = [];
let failure: string | undefined;
let caught: unknown;
// Ctrl-C or SIGTERM: the tests stop, the cluster comes down; a second signal exits at once, and
// scripts/cluster/netns-run stops whatever still runs. Ctrl-C arrives twice (the terminal's SIGINT,
// netns-run's SIGTERM): signals within a second of the first are one.
const stop = new AbortController();
let firstSignal = 0;
const interrupted = (signal: string) => {
  if (stop.signal.aborted) {
    if (Date.now() - firstSignal > 1000) process.exit(130);
    return;
  }
  firstSignal = Date.now();
  failure = `interrupted (${signal})`;
  say(`conformance: ${signal}: stopping the tests, then the cluster (again to stop at once)`);
  stop.abort();
};
process.on('SIGINT', interrupted);
process.on('SIGTERM', interrupted);
try {
  // CLUSTER_NODE_TIMEOUT_S and CLUSTER_KUBELET_SERVER exist for the tests of this harness (spec/kube/failures)
  const nodeTimeout = Number(process.env.CLUSTER_NODE_TIMEOUT_S ?? 180) * 1000;
  cluster = await KubeCluster.up({ proxy, nodes, dir, archives: imageArchives(), log: say, nodeTimeoutMs: nodeTimeout, kubeletServer: process.env.CLUSTER_KUBELET_SERVER });
  say(`conformance: node components:\n${(await cluster.versions()).replace(/^/gm, '  ')}`);
  if (!stop.signal.aborted) {
    results = await runE2e({ kubeconfig: cluster.kubeconfig, reportDir: dir, focus: focusFor(values.focus), timeout: values.timeout!, onSpec: (l) => say(`  ${l}`), signal: stop.signal });
  }
} catch (e) {
  failure ??= (e as Error).message;
  caught = e;
} finally {
  await cluster?.down().catch((e: Error) => say(`conformance: tearing down: ${e.message}`));
}
// the end of the failed step's logs (saved by the teardown), for a reader who has only this output
if (caught !== undefined && !stop.signal.aborted) say(logTails(caught, dir).replace(/^/gm, '  '));
rmSync(process.env.TMPDIR, { recursive: true, force: true });
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
if (results.length) {
  say(`\nconformance: ${proxy}, each test (${dir}/e2e-report.json, junit_01.xml):`);
  for (const r of results) say(`${r.state.padEnd(7)} ${r.name}${r.state === 'passed' ? '' : `: ${r.reason ?? ''}`}`);
}
writeFileSync(join(dir, 'results.json'), JSON.stringify({ proxy, nodes, minutes: Number(minutes), failure, results }, null, 1));
const count = (s: string) => results.filter((r) => r.state === s).length;
if (failure) say(`conformance: FAILED: ${failure}`);
say(`${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped (${proxy}, ${minutes} min)`);
process.exit(failure || count('failed') ? 1 : 0);
