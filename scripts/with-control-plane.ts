// Runs a command beside a real control plane (etcd, kube-apiserver, kube-controller-manager on
// this host's loopback, serving certificate valid for 10.0.2.2 too, as the VM of `VM_NET=1
// scripts/vm-run` reaches the host): the command gets its folder in KUBE_TEST_CONTROL_PLANE.
// Usage: node --import tsx scripts/with-control-plane.ts CMD [ARG...]; exits with CMD's status.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane } from '../spec/helpers/control-plane.js';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) { console.error('usage: with-control-plane CMD [ARG...]'); process.exit(2); }
const started = Date.now();
const cp = await ControlPlane.start({ sans: ['10.0.2.2'] });
writeFileSync(join(cp.dir, 'info.json'), JSON.stringify(cp.info()));
console.error(`with-control-plane: API server ${cp.url} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, KUBE_TEST_CONTROL_PLANE: cp.dir } });
const stop = () => child.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const code = await new Promise<number>((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 128 : 1))));
await cp.stop();
process.exit(code);
