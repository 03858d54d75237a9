// `ipvs-proxy migrate [plan]`: run by an operator with a kubeconfig, it says where a move of the
// cluster from kube-proxy (IPVS mode) to ipvs-proxy stands, what the next step does, and every
// reason it cannot go on safely. It changes nothing.
import { command } from '../command.js';
import { GLOBAL_OPTIONS, option, uniqueOptions } from '../options.js';
import { readConfigDocument } from '../settings.js';
import { RUN_OPTIONS } from './run.js';
import { OUTPUT_OPTION } from './status.js';
import { assessMigration, type MigrationPlan } from '../../migrate/assess.js';

const STEPS = ['plan'] as const;
const RUN_SPECS = new Map(uniqueOptions([...GLOBAL_OPTIONS, ...RUN_OPTIONS]).map((s) => [s.key, s]));
const RUN_KEYS = new Set(RUN_SPECS.keys());
/** kube-proxy's config.conf read as `ipvs-proxy run` would read it. */
export const readRunConfig = (doc: unknown) => readConfigDocument(doc, RUN_SPECS, RUN_KEYS);

export const migrateCommand = command({
  name: 'migrate',
  summary: "plan the move of a cluster from kube-proxy (IPVS mode) to ipvs-proxy: where it stands, the next step, and what stops it (changes nothing)",
  options: [
    option({ key: 'kubeconfig', flag: 'kubeconfig', doc: "the operator's kubeconfig", type: 'string', default: '', env: 'KUBECONFIG', meta: 'FILE' }),
    option({ key: 'master', flag: 'master', doc: "the control-plane endpoint ipvs-proxy will use (https://HOST:PORT), over the server of kube-proxy's kubeconfig.conf", type: 'string', default: '', meta: 'URL' }),
    OUTPUT_OPTION,
  ] as const,
  run: async ({ settings, positionals, stdout, stderr }) => {
    const step = positionals[0] ?? 'plan';
    if (!(STEPS as readonly string[]).includes(step) || positionals.length > 1) {
      stderr.write(`ipvs-proxy migrate: unknown step "${positionals.join(' ')}"; the steps built so far: ${STEPS.join(', ')}\n`);
      return 2;
    }
    let plan: MigrationPlan;
    try {
      // the API client is loaded only when a command talks to the API server (start-up time)
      const [{ apiEndpoint }, { readClusterFacts }] = await Promise.all([import('../../sources/api-endpoint.js'), import('../../migrate/read-cluster.js')]);
      const { kubeConfig } = apiEndpoint({ kubeconfig: settings.kubeconfig || undefined });
      const facts = await readClusterFacts(kubeConfig);
      plan = assessMigration(facts, { master: settings.master || undefined, readConfig: readRunConfig });
    } catch (e) {
      stderr.write(`ipvs-proxy migrate: ${(e as Error).message}\n`);
      return 1;
    }
    stdout.write(settings.output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
    return plan.refusals.length ? 1 : 0;
  },
});

export function renderPlan(p: MigrationPlan): string {
  const lines = [`Migration from kube-proxy: ${p.stage}`];
  if (p.mode) lines.push(`kube-proxy mode: ${p.mode}`);
  if (p.apiServer) lines.push(`control-plane endpoint: ${p.apiServer}`);
  const carried = Object.entries(p.settings).filter(([k]) => !k.endsWith('@'));
  if (carried.length) lines.push(`settings taken over from config.conf: ${carried.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(', ')}`);
  lines.push(`nodes on kube-proxy (${p.onKubeProxy.length}): ${p.onKubeProxy.join(', ') || '-'}`);
  lines.push(`nodes on ipvs-proxy (${p.onIpvsProxy.length}): ${p.onIpvsProxy.join(', ') || '-'}`);
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
