// npm run conformance [-- --proxy ipvs-proxy|kube-proxy] [--focus REGEX] [--nodes N] [--out DIR]:
// brings the cluster up with that proxy (scripts/cluster/cluster.ts), runs upstream's
// `[sig-network] Services` e2e tests against it (narrowed by --focus), prints one line per test
// and a count, keeps the JSON and JUnit reports and every log in the run's folder, and removes the
// cluster. Runs inside scripts/cluster/netns-run (scripts/conformance does that).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeCluster, imageArchives } from './cluster.js';
import { focusFor, runE2e, type SpecResult } from './e2e.js';
import { PROXIES, type ProxyName } from './proxies.js';

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

let cluster: KubeCluster | undefined;
let results: SpecResult[] = [];
let failure: string | undefined;
const interrupted = () => { failure = 'interrupted'; };
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);
try {
  // CLUSTER_NODE_TIMEOUT_S and CLUSTER_KUBELET_SERVER exist for the tests of this harness (spec/kube/failures)
  const nodeTimeout = Number(process.env.CLUSTER_NODE_TIMEOUT_S ?? 180) * 1000;
  cluster = await KubeCluster.up({ proxy, nodes, dir, archives: imageArchives(), log: say, nodeTimeoutMs: nodeTimeout, kubeletServer: process.env.CLUSTER_KUBELET_SERVER });
  say(`conformance: node components:\n${(await cluster.versions()).replace(/^/gm, '  ')}`);
  results = await runE2e({ kubeconfig: cluster.kubeconfig, reportDir: dir, focus: focusFor(values.focus), timeout: values.timeout!, onSpec: (l) => say(`  ${l}`) });
} catch (e) {
  failure = (e as Error).message;
} finally {
  await cluster?.down().catch((e: Error) => say(`conformance: tearing down: ${e.message}`));
}
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
