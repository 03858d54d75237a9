import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

test('the API client loads without its source maps; the proxy\'s own modules keep theirs (compiled dist, as bin/ipvs-proxy runs)', () => {
  const dist = (p: string) => pathToFileURL(`${root}dist/${p}`).href;
  const clientNode = pathToFileURL(`${root}node_modules/@kubernetes/client-node/dist/config.js`).href;
  const script = `
    import { findSourceMap } from 'node:module';
    const { loadApiClient } = await import(${JSON.stringify(dist('sources/api-client.js'))});
    await loadApiClient();
    await import(${JSON.stringify(dist('sources/kube-source.js'))});
    console.log(JSON.stringify({ enabled: process.sourceMapsEnabled, clientNode: !!findSourceMap(${JSON.stringify(clientNode)}),
      ours: !!findSourceMap(${JSON.stringify(dist('sources/kube-source.js'))}) }));`;
  const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { enabled: true, clientNode: false, ours: true });
});
