// The built program as bin/ipvs-proxy runs it (dist/ipvs-proxy.js and its chunks): a command that
// needs no API server loads none of the API client, and a start takes its compiled code from the
// compile cache the build filled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

test('built program: --help loads only the main bundle, none of the API client, and of node_modules only netlink (with its addon loader)', async () => {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); loaded.push(r.url); return r; } });
    process.argv = [process.argv[0], 'ipvs-proxy', '--help'];
    const out = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    // the program exits as soon as --help is printed: what it loaded is reported then
    process.on('exit', () => out(JSON.stringify(loaded.filter((u) => u.startsWith('file:')))));
    await import(${JSON.stringify(pathToFileURL(`${root}dist/ipvs-proxy.js`).href)});`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
  const files = (JSON.parse(stdout) as string[]).map((u) => fileURLToPath(u).slice(root.length));
  assert.ok(files.includes('dist/ipvs-proxy.js'), files.join(' '));
  assert.deepEqual(files.filter((f) => f.startsWith('node_modules/') && !/^node_modules\/(netlink|node-gyp-build)\//.test(f)), []);
  assert.deepEqual(files.filter((f) => /kube-source|api-endpoint|api-events/.test(f)), [], 'the API source is loaded only by run');
  const client = clientChunk();
  assert.ok(!files.includes(`dist/chunks/${client}`), `the API client chunk ${client} is not loaded`);
});

/** The chunk that holds @kubernetes/client-node's KubeConfig. */
function clientChunk(): string {
  const chunks = readdirSync(`${root}dist/chunks`).filter((f) => f.endsWith('.js'));
  const with_ = chunks.filter((f) => /\bKubeConfig = class\b|\bKubeConfig=class\b|class KubeConfig\b/.test(readFileSync(`${root}dist/chunks/${f}`, 'utf8')));
  assert.equal(with_.length, 1, `one chunk holds the API client: ${with_.join(' ')}`);
  return with_[0]!;
}

test('built program: the API client is in a chunk of its own, not in the main bundle', () => {
  assert.doesNotMatch(readFileSync(`${root}dist/ipvs-proxy.js`, 'utf8'), /\bKubeConfig ?= ?class\b|class KubeConfig\b/);
  clientChunk();
});

test('built program: bin/ipvs-proxy starts from the compile cache the build filled (every module of dist/ accepted, none compiled anew)', async () => {
  const { stderr, stdout } = await run(`${root}bin/ipvs-proxy`, ['--version'], { env: { ...process.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } });
  assert.match(stdout, /^ipvs-proxy \d/);
  const ours = stderr.split('\n').filter((l) => l.includes(`file://${root}dist/`) && /V8 code cache for ESM/.test(l));
  assert.ok(ours.length >= 2, stderr.slice(0, 2000));
  for (const l of ours) assert.match(l, /was accepted/);
});
