// The compiled proxy (dist/, as bin/ipvs-proxy runs it) takes the API client from its own bundle:
// it lists and watches through it, never loads a module of the @kubernetes/client-node package,
// and the bundle brings no source map while the proxy's own modules keep theirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FakeApiServer } from '../../helpers/fake-apiserver.js';
import { slice, svc } from '../../helpers/objects.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dist = (p: string) => pathToFileURL(`${root}dist/${p}`).href;

test('API client bundle: the compiled KubeSource lists and watches through it, loads no module of @kubernetes/client-node, and only our modules have source maps', async () => {
  const api = new FakeApiServer();
  const url = await api.start();
  try {
    api.apply(svc('web'));
    api.apply(slice('web-1', 'web', ['10.244.1.5', '10.244.1.6']));
    for (let i = 0; i < 1200; i++) api.apply(svc(`bulk-${i}`)); // more than two list pages
    const kubeconfig = api.kubeconfig(join(mkdtempSync(join(tmpdir(), 'kc-')), 'config'), url);
    const script = `
      import { registerHooks, findSourceMap } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); loaded.push(r.url); return r; } });
      const { KubeSource } = await import(${JSON.stringify(dist('sources/kube-source.js'))});
      const { apiEndpoint } = await import(${JSON.stringify(dist('sources/api-endpoint.js'))});
      const log = { info() {}, warn() {}, error() {}, debug() {}, child() { return log; } };
      const source = new KubeSource(apiEndpoint({ kubeconfig: ${JSON.stringify(kubeconfig)} }), 'node-a', log);
      let changed = 0;
      await source.start(() => { changed++; });
      const snap = source.snapshot();
      const web = source.objectsOf('default/web');
      await source.stop();
      console.log(JSON.stringify({
        services: snap.services.length, slices: snap.endpointSlices.length, webSlices: web.slices.length, changed: changed > 0,
        clientNodeModules: loaded.filter((u) => u.includes('/node_modules/@kubernetes/client-node/')).length,
        bundleMap: !!findSourceMap(${JSON.stringify(dist('sources/kube-client.js'))}),
        ourMap: !!findSourceMap(${JSON.stringify(dist('sources/kube-source.js'))}),
      }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { cwd: root });
    assert.deepEqual(JSON.parse(stdout), { services: 1201, slices: 1, webSlices: 1, changed: true, clientNodeModules: 0, bundleMap: false, ourMap: true });
    assert.ok(api.lists.filter((l) => l.path === '/api/v1/services').length >= 3, 'listed in pages');
  } finally {
    await api.stop();
  }
});
