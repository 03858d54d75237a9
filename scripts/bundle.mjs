// The build (`npm run build`): the whole program as one ESM bundle, dist/ipvs-proxy.js, with the
// modules it imports only when needed (the API client, which with undici is two thirds of the
// code) split into chunks beside it. One file read and compiled instead of a hundred modules each
// resolved, read and linked: the process starts several times faster under emulation.
// netlink stays in node_modules: it finds its native addon from its own path. bunyan's optional
// modules are left out (it runs without them). No minification of names: stack traces stay
// readable; the source map is written for them but not loaded unless asked for
// (IPVS_PROXY_NODE_FLAGS=--enable-source-maps), since parsing it costs memory at every start.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Node's built-ins taken with require(), not import: an import makes an ES module facade of the
// built-in, which reads every export, and node:http's include getters that load Node's own copy of
// undici (a third of the start-up time, measured on --help).
const builtinsAsRequire = {
  name: 'builtins-as-require',
  setup(b) {
    b.onResolve({ filter: /^node:|^(fs|path|os|http|https|net|tls|crypto|child_process|events|stream|util|url|zlib|dns|buffer|assert|module|timers|worker_threads|perf_hooks|async_hooks|diagnostics_channel|querystring|string_decoder|cluster|v8|vm|readline|tty|dgram|http2|process|console|constants|punycode|sqlite)(\/.*)?$/ }, (a) => {
      const path = a.path.startsWith('node:') ? a.path : `node:${a.path}`;
      // the require() inside the stand-in module is of the built-in itself
      return a.namespace === 'builtin' ? { path, external: true } : { path, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (a) => ({ contents: `module.exports = require(${JSON.stringify(a.path)});`, loader: 'js' }));
  },
};
// bunyan's optional modules (DTrace probes, log file rotation, safe stringify) as modules that
// throw when loaded: bunyan catches that and runs without them, as in the image, where they are not
// installed. Left to node_modules, a checkout would load some twenty modules for nothing.
const bunyanWithoutOptionals = {
  name: 'bunyan-without-optionals',
  setup(b) {
    b.onResolve({ filter: /^(dtrace-provider|mv|safe-json-stringify|source-map-support)$/ }, (a) => ({ path: a.path, namespace: 'absent' }));
    b.onLoad({ filter: /.*/, namespace: 'absent' }, (a) => ({ contents: `throw new Error(${JSON.stringify(`${a.path} is not part of the build`)});`, loader: 'js' }));
  },
};
const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  entryPoints: { 'ipvs-proxy': `${root}lib/cli/entry.ts` },
  outdir: `${root}dist`,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['netlink'],
  // the CommonJS packages inside (undici, convict, ...) require() Node's built-ins
  plugins: [builtinsAsRequire, bunyanWithoutOptionals],
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
});

// Node's compile cache (dist/compile-cache, where bin/ipvs-proxy points NODE_COMPILE_CACHE) filled
// with every module, through bin/ipvs-proxy so that the cache is made with the flags it runs with.
// Its entries are keyed by path: a copy of dist/ elsewhere (the image) makes its own.
// IPVS_PROXY_WARM_CACHE=0 skips it (the image's build stage: the image makes its own).
const warm = process.env.IPVS_PROXY_WARM_CACHE === '0' ? { status: 0 } : spawnSync(`${root}bin/ipvs-proxy`, [], { env: { ...process.env, IPVS_PROXY_WARM_CACHE: '1' }, stdio: 'inherit' });
if (warm.status !== 0) throw new Error(`filling the compile cache failed (exit ${warm.status})`);
