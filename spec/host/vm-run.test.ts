// The VM harness's contract, as the rest of the suite relies on it (each case boots a VM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exec } from '../helpers/exec.js';

const vmRun = new URL('../../scripts/vm-run', import.meta.url).pathname;

test('vm-run (VM): runs in the Debian kernel with IPVS, in the same working directory, and passes stdout', async () => {
  const r = await exec(vmRun, ['sh', '-c', 'uname -r; pwd; head -n 1 /proc/net/ip_vs; id -u']);
  assert.equal(r.code, 0, r.stderr);
  const [kernel, cwd, ipvs, uid] = r.stdout.trim().split('\n');
  assert.match(kernel!, /^6\.1\.\d+-\d+-amd64$/);
  assert.equal(cwd, process.cwd());
  assert.match(ipvs!, /^IP Virtual Server version/);
  assert.equal(uid, '0');
});

test('vm-run (VM): exits with the command\'s status and passes stderr separately', async () => {
  const r = await exec(vmRun, ['sh', '-c', 'echo out; echo err >&2; exit 7']);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
});

test('vm-run (VM): a command that overruns VM_TIMEOUT is killed, exit 124, no QEMU left behind', async () => {
  const r = await exec(vmRun, ['sleep', '600'], { env: { ...process.env, VM_TIMEOUT: '4' } });
  assert.equal(r.code, 124);
  assert.match(r.stderr, /timed out after 4s/);
  const ps = await exec('pgrep', ['-f', 'qemu-system-x86_64.*mount_tag=hostroot']);
  assert.equal(ps.stdout, '', `QEMU still running: ${ps.stdout}`);
});
