// Runs a command beside a real cluster (scripts/cluster/cluster.ts) with ipvs-proxy deployed: the
// command gets the cluster's folder in KUBE_TEST_CLUSTER (KubeCluster.attach). The cluster is
// removed afterwards; its logs stay in that folder when the command failed, which is then named.
// A bring-up that fails is told with the end of its logs (CI keeps only what was printed) and
// tried once more in a new folder: the VM under emulation can stall for tens of seconds when the
// machine is busy, which is not what the command tests.
// Usage (inside scripts/cluster/netns-run, CLUSTER_IMAGES set): node --import tsx
// scripts/cluster/with-cluster.ts [--proxy kube-proxy] CMD [ARG...]; exits with CMD's status.
// With --proxy kube-proxy the cluster runs kube-proxy and holds ipvs-proxy's image too (a migration).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeCluster, imageArchives } from './cluster.js';
import { PROXIES, type ProxyName } from './proxies.js';
import { logTails } from './steps.js';

const argv = process.argv.slice(2);
const proxy: ProxyName = argv[0] === '--proxy' ? (argv[1] as ProxyName) : 'ipvs-proxy';
const [cmd, ...args] = argv[0] === '--proxy' ? argv.slice(2) : argv;
if (!cmd || !PROXIES.includes(proxy)) { console.error(`usage: with-cluster [--proxy ${PROXIES.join('|')}] CMD [ARG...]`); process.exit(2); }
const ATTEMPTS = 2;

async function bringUp(): Promise<{ cluster: KubeCluster; dir: string }> {
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'kube-cluster-'));
    // the control plane's temporary files inside it too: a run killed outright leaves one folder
    process.env.TMPDIR = join(dir, 'tmp');
    mkdirSync(process.env.TMPDIR);
    try {
      return { cluster: await KubeCluster.up({ proxy, nodes: 2, dir, archives: imageArchives(), bothProxyImages: proxy === 'kube-proxy' }), dir };
    } catch (e) {
      console.error(`with-cluster: ${(e as Error).message}`);
      console.error(logTails(e, dir).replace(/^/gm, '  '));
      console.error(`with-cluster: the failed cluster's logs: ${dir}`);
      if (attempt === ATTEMPTS) process.exit(1);
      console.error(`with-cluster: bringing the cluster up again (attempt ${attempt + 1} of ${ATTEMPTS})`);
    }
  }
}

const { cluster, dir } = await bringUp();
const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, KUBE_TEST_CLUSTER: dir } });
const stop = () => child.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const code = await new Promise<number>((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 128 : 1))));
await cluster.down();
if (code === 0) rmSync(dir, { recursive: true, force: true });
else console.error(`with-cluster: the cluster's logs: ${dir}`);
process.exit(code);
