// Runs a command beside a real cluster (scripts/cluster/cluster.ts) with ipvs-proxy deployed: the
// command gets the cluster's folder in KUBE_TEST_CLUSTER (KubeCluster.attach). The cluster is
// removed afterwards; its logs stay in that folder when the command failed, which is then named.
// Usage (inside scripts/cluster/netns-run, CLUSTER_IMAGES set): node --import tsx
// scripts/cluster/with-cluster.ts CMD [ARG...]; exits with CMD's status.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeCluster, imageArchives } from './cluster.js';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) { console.error('usage: with-cluster CMD [ARG...]'); process.exit(2); }
const dir = mkdtempSync(join(tmpdir(), 'kube-cluster-'));
// the control plane's temporary files inside it too: a run killed outright leaves one folder
process.env.TMPDIR = join(dir, 'tmp');
mkdirSync(process.env.TMPDIR);
let cluster: KubeCluster;
try {
  cluster = await KubeCluster.up({ proxy: 'ipvs-proxy', nodes: 2, dir, archives: imageArchives() });
} catch (e) {
  console.error(`with-cluster: ${(e as Error).message}`);
  process.exit(1);
}
const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, KUBE_TEST_CLUSTER: dir } });
const stop = () => child.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const code = await new Promise<number>((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 128 : 1))));
await cluster.down();
if (code === 0) rmSync(dir, { recursive: true, force: true });
else console.error(`with-cluster: the cluster's logs: ${dir}`);
process.exit(code);
