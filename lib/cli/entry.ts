// Process entry for bin/ipvs-proxy.
import { flushCompileCache } from 'node:module';
import { main } from './main.js';
import { loadApiSource } from './commands/run.js';

const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 24) {
  process.stderr.write(`ipvs-proxy: Node.js >= 24 is required (this is ${process.versions.node}); run "npm ci" to get it in node_modules/.bin\n`);
  process.exit(1);
}
if (process.env.IPVS_PROXY_WARM_CACHE === '1') {
  // The build fills Node's compile cache (NODE_COMPILE_CACHE, set by bin/ipvs-proxy) with every
  // module of the program, so that no start compiles them again.
  await loadApiSource();
  flushCompileCache();
} else {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`ipvs-proxy: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
