// A test "pod": answers HTTP on 8080 and UDP on 5353 with its name and the client address it
// saw, and runs requests from inside its network namespace on demand (control port 9000):
//   GET /fetch?url=http://VIP:PORT/&n=N   N sequential HTTP requests, each on a new connection
//   GET /udp?host=VIP&port=P&n=N           N UDP request/replies
// Plain JavaScript (no build step) so it starts fast in the VM.
import { createServer, request } from 'node:http';
import { createSocket } from 'node:dgram';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const name = opt('name', 'pod');
const binds = (opt('bind', '0.0.0.0,::')).split(',');

const answer = (client) => JSON.stringify({ pod: name, client: client.replace(/^::ffff:/, '') });

for (const host of binds) {
  createServer((req, res) => res.end(answer(req.socket.remoteAddress ?? ''))).listen({ host, port: 8080, ipv6Only: host.includes(':') });
  const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: host.includes(':') });
  udp.on('message', (msg, rinfo) => udp.send(answer(rinfo.address), rinfo.port, rinfo.address));
  udp.bind(5353, host);
  createServer(control).listen({ host, port: 9000, ipv6Only: host.includes(':') });
}
process.on('SIGTERM', () => process.exit(0));
console.log(`ready ${name}`);

function httpOnce(url) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => { try { resolve(JSON.parse(body)); } catch { resolve({ error: `bad reply ${body}` }); } });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

function udpOnce(host, port) {
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => { s.close(); resolve({ error: 'timeout' }); }, 2000);
    s.on('message', (msg) => { clearTimeout(timer); s.close(); try { resolve(JSON.parse(String(msg))); } catch { resolve({ error: 'bad reply' }); } });
    s.on('error', (e) => { clearTimeout(timer); s.close(); resolve({ error: e.code ?? e.message }); });
    s.send('hello', port, host);
  });
}

async function control(req, res) {
  const u = new URL(req.url ?? '/', 'http://x');
  const n = Number(u.searchParams.get('n') ?? '1');
  const out = [];
  for (let i = 0; i < n; i++) {
    if (u.pathname === '/fetch') out.push(await httpOnce(u.searchParams.get('url')));
    else if (u.pathname === '/udp') out.push(await udpOnce(u.searchParams.get('host'), Number(u.searchParams.get('port'))));
    else { res.writeHead(404).end(); return; }
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(out));
}
