// The cluster VM's agent (scripts/cluster): makes the VM the host of kind-style nodes
// (scripts/cluster/vm-node prepare), then runs the host's commands in the VM over HTTP on the test's
// private link, which only the test's own network namespace on the host reaches.
//   GET  /health            200 once prepared
//   POST /run {argv, input?, timeoutMs?}  -> {code, signal, stdout, stderr}
//   POST /stop              the agent exits; scripts/vm-run then powers the VM off
// Plain JavaScript: under emulation a TypeScript loader would cost seconds at every boot.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const address = process.env.CLUSTER_VM_ADDRESS ?? '10.10.0.2';
const port = Number(process.env.CLUSTER_VM_AGENT_PORT ?? 7000);

const prepared = spawnSync('bash', [join(here, 'vm-node'), 'prepare', address], { stdio: 'inherit' });
if (prepared.status !== 0) {
  console.error(`vm-agent: vm-node prepare failed (exit ${prepared.status})`);
  process.exit(1);
}

function run({ argv, input, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], cwd: join(here, '../..') });
    let stdout = '';
    let stderr = '';
    const timer = timeoutMs ? setTimeout(() => { stderr += `\nvm-agent: killed after ${timeoutMs} ms`; child.kill('SIGKILL'); }, timeoutMs) : undefined;
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: 127, signal: null, stdout, stderr: `${stderr}${e.message}` }); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    child.stdin.end(input ?? '');
  });
}

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (d) => { body += d; });
  req.on('end', async () => {
    const reply = (status, value) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
    try {
      if (req.method === 'GET' && req.url === '/health') return reply(200, { ok: true });
      if (req.method === 'POST' && req.url === '/run') {
        const r = JSON.parse(body);
        if (!Array.isArray(r.argv) || r.argv.length === 0) return reply(400, { error: 'argv: a non-empty array' });
        return reply(200, await run(r));
      }
      if (req.method === 'POST' && req.url === '/stop') {
        reply(200, { ok: true });
        server.close();
        return setTimeout(() => process.exit(0), 100);
      }
      reply(404, { error: `${req.method} ${req.url}` });
    } catch (e) {
      reply(500, { error: String(e?.message ?? e) });
    }
  });
});
server.requestTimeout = 0;
server.listen(port, address, () => console.error(`vm-agent: listening on ${address}:${port}`));
