// `ipvs-proxy migrate [plan|start]`: run by an operator with a kubeconfig. plan says where a move
// of the cluster from kube-proxy (IPVS mode) to ipvs-proxy stands, what the next step does, and
// every reason it cannot go on safely, and changes nothing; start installs ipvs-proxy for labelled
// nodes and keeps kube-proxy off them, once plan finds nothing in the way.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { command } from '../command.js';
import { GLOBAL_OPTIONS, option, uniqueOptions } from '../options.js';
import { readConfigDocument } from '../settings.js';
import { RUN_OPTIONS } from './run.js';
import { OUTPUT_OPTION } from './status.js';
import { assessMigration, type MigrationPlan } from '../../migrate/assess.js';

const STEPS = ['plan', 'start'] as const;
const RUN_SPECS = new Map(uniqueOptions([...GLOBAL_OPTIONS, ...RUN_OPTIONS]).map((s) => [s.key, s]));
const RUN_KEYS = new Set(RUN_SPECS.keys());
/** kube-proxy's config.conf read as `ipvs-proxy run` would read it. */
export const readRunConfig = (doc: unknown) => readConfigDocument(doc, RUN_SPECS, RUN_KEYS);

export const migrateCommand = command({
  name: 'migrate',
  summary: 'move a cluster from kube-proxy (IPVS mode) to ipvs-proxy: plan (where it stands, the next step, what stops it; changes nothing), start',
  options: [
    option({ key: 'kubeconfig', flag: 'kubeconfig', doc: "the operator's kubeconfig (default ~/.kube/config)", type: 'string', default: '', env: 'KUBECONFIG', meta: 'FILE' }),
    option({ key: 'master', flag: 'master', doc: "the control-plane endpoint ipvs-proxy will use (https://HOST:PORT), over the server of kube-proxy's kubeconfig.conf", type: 'string', default: '', meta: 'URL' }),
    option({ key: 'image', flag: 'image', doc: "migrate start: ipvs-proxy's image, over the manifest's", type: 'string', default: '', meta: 'IMAGE' }),
    OUTPUT_OPTION,
  ] as const,
  run: async ({ settings, positionals, stdout, stderr, env }) => {
    const step = positionals[0] ?? 'plan';
    if (!(STEPS as readonly string[]).includes(step) || positionals.length > 1) {
      stderr.write(`ipvs-proxy migrate: unknown step "${positionals.join(' ')}"; the steps built so far: ${STEPS.join(', ')}\n`);
      return 2;
    }
    const master = settings.master || undefined;
    try {
      // the API client is loaded only when a command talks to the API server (start-up time)
      const [{ apiEndpoint }, { readClusterFacts }] = await Promise.all([import('../../sources/api-endpoint.js'), import('../../migrate/read-cluster.js')]);
      // as kubectl: --kubeconfig, KUBECONFIG, else ~/.kube/config
      const kubeconfig = settings.kubeconfig || join(env.HOME ?? homedir(), '.kube', 'config');
      if (!existsSync(kubeconfig)) { stderr.write(`ipvs-proxy migrate: no kubeconfig at ${kubeconfig}: give one with --kubeconfig\n`); return 1; }
      const { kubeConfig } = apiEndpoint({ kubeconfig });
      const assess = async () => assessMigration(await readClusterFacts(kubeConfig), { master, readConfig: readRunConfig });
      let plan: MigrationPlan = await assess();
      if (step === 'start' && !plan.refusals.length) {
        if (plan.stage === 'finished') { stderr.write('ipvs-proxy migrate start: the migration is finished: kube-proxy\'s DaemonSet is gone\n'); return 1; }
        const [{ readManifests, migrationObjects }, { startMigration }] = await Promise.all([import('../../migrate/objects.js'), import('../../migrate/start.js')]);
        const manifests = readManifests();
        const done = await startMigration(kubeConfig, migrationObjects(manifests, { image: settings.image || undefined, master }), manifests.namespace);
        if (settings.output === 'text') stdout.write(`${done.join('\n')}\n\n`);
        plan = await assess();
      }
      stdout.write(settings.output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
      return plan.refusals.length ? 1 : 0;
    } catch (e) {
      stderr.write(`ipvs-proxy migrate: ${(e as Error).message}\n`);
      return 1;
    }
  },
});

export function renderPlan(p: MigrationPlan): string {
  const lines = [`Migration from kube-proxy: ${p.stage}`];
  if (p.mode) lines.push(`kube-proxy mode: ${p.mode}`);
  if (p.apiServer) lines.push(`control-plane endpoint: ${p.apiServer}`);
  const carried = Object.entries(p.settings);
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
