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
  // The command is done when main resolves: exit then, not once the event loop drains. After a
  // stop, a periodic resync's read (not waited for) and the timers of requests on closed sockets
  // would keep the process past a pod's grace period. Writes to stdout and stderr are
  // synchronous on Linux, so nothing printed is lost.
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`ipvs-proxy: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
