// Build step after tsc: dist/sources/kube-client.js becomes a tree-shaken ESM bundle of the parts
// of @kubernetes/client-node it re-exports (see lib/sources/kube-client.ts for why), without a
// source map. The package's CommonJS dependencies (undici, socks, ...) are bundled too; their
// require() of Node's built-ins goes through createRequire.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/sources/kube-client.js`;
rmSync(`${out}.map`, { force: true });
await build({
  entryPoints: [`${root}lib/sources/kube-client.ts`],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
});
