// How the real cluster's harness fails (the inner part of `npm run conformance`, in a network
// namespace of its own as scripts/conformance runs it): a node whose kubelet cannot reach the API
// server, an image archive that does not import. Each stops the run with one line naming what
// failed and where its log is, and leaves nothing running: no network namespace, no QEMU, no
// control-plane process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageArchives } from '../../scripts/cluster/cluster.js';
import { exec } from '../helpers/exec.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The kit's images only: no proxy is deployed in these runs. */
const kitImages = () => imageArchives().filter((a) => /\/(pause|agnhost)-[^/]*\.tar$/.test(a));

async function conformance(images: readonly string[], env: Record<string, string>): Promise<{ code: number | null; out: string; dir: string }> {
  const dir = tempDir('cluster-failure-');
  const list = join(dir, 'images');
  writeFileSync(list, images.join('\n'));
  const r = await exec('scripts/cluster/netns-run', ['node', '--import', 'tsx', 'scripts/cluster/conformance.ts', '--nodes', '1', '--out', join(dir, 'run')],
    { env: { ...process.env, CLUSTER_IMAGES: list, ...env }, timeoutMs: 600_000 });
  return { code: r.code, out: r.stdout + r.stderr, dir };
}

async function nothingLeft(): Promise<void> {
  assert.deepEqual((await exec('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('ipvs-cluster-')), [], 'no network namespace left');
  for (const p of ['qemu-system-x86_64', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
    assert.equal((await exec('pgrep', ['-x', p])).stdout.trim(), '', `no ${p} left`);
  }
}

test('cluster harness: a kubelet that cannot reach the API server (real VM): the run stops with one line naming the node and its kubelet log, and leaves nothing running', async () => {
  const r = await conformance(kitImages(), { CLUSTER_NODE_TIMEOUT_S: '30', CLUSTER_KUBELET_SERVER: 'https://10.10.0.1:6444' });
  assert.equal(r.code, 1, r.out);
  const failed = r.out.split('\n').filter((l) => l.startsWith('conformance: FAILED'));
  assert.equal(failed.length, 1, r.out);
  const m = /^conformance: FAILED: 1 nodes Ready failed: node node-a did not register within 30 s \(log: (\S+\/node-a\/kubelet\.log)\)$/.exec(failed[0]!);
  assert.ok(m, failed[0]);
  assert.match(readFileSync(m[1]!, 'utf8'), /10\.10\.0\.1:6444: connect: connection refused/, 'the named log says why');
  await nothingLeft();
  rmSync(r.dir, { recursive: true, force: true });
});

test("cluster harness: an image archive that does not import (real VM): the run stops with one line naming the archive, ctr's error and the import log, and leaves nothing running", async () => {
  const dir = tempDir('bad-image-');
  const bad = join(dir, 'broken-image.tar');
  writeFileSync(bad, 'not an OCI archive');
  const r = await conformance([...kitImages(), bad], {});
  assert.equal(r.code, 1, r.out);
  const failed = r.out.split('\n').filter((l) => l.startsWith('conformance: FAILED'));
  assert.equal(failed.length, 1, r.out);
  assert.match(failed[0]!, /^conformance: FAILED: images imported \(.*broken-image\.tar\) failed: in the VM, vm-node seed exited 1: vm-node: cannot import \S+\/broken-image\.tar: .+ \(log: \S+\/seed\.log\)$/);
  assert.ok(existsSync(/\(log: (\S+)\)$/.exec(failed[0]!)![1]!), 'the named log exists');
  await nothingLeft();
  rmSync(r.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});
