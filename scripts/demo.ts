// `npm run demo`, inside the VM: a simulated node with pods, the proxy running on it from
// examples/demo.yaml, `ipvs-proxy status` of the node, requests answered by the pods, `ipvs-proxy
// explain` of two paths, then a scale-up of shop/web and the time the kernel took to follow.
// Cleans up after itself.
import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { TestCluster, countByPod, NODE_A_IP } from './testbed/cluster.js';
import { ProxyProcess, until } from '../spec/helpers/proxy-process.js';
import { resetKernel } from '../spec/helpers/real-kernel.js';
import { NetlinkIpvs } from '../lib/kernel/ipvs/netlink-ipvs.js';
import { exec } from '../spec/helpers/exec.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = '') => process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  const started = performance.now();
  await resetKernel();
  say(bold('ipvs-proxy demo: a simulated node inside a real Linux kernel (Debian 6.1, QEMU)'));
  say('Creating pods a1, a2, a3 on node-a (network namespaces on a bridge) and b1 on node-b ...');
  const cluster = await TestCluster.create([{ name: 'a1', node: 'node-a', n: 10 }, { name: 'a2', node: 'node-a', n: 11 }, { name: 'a3', node: 'node-a', n: 12 }, { name: 'b1', node: 'node-b', n: 20 }]);
  const file = join(mkdtempSync(join(tmpdir(), 'demo-')), 'objects.yaml');
  copyFileSync('examples/demo.yaml', file);
  const proxy = new ProxyProcess(['run', '--objects', file, '--node-name', 'node-a', '--cluster-cidr', '10.244.0.0/16', '--nodeport-addresses', '192.168.100.0/24',
    '--min-sync-period', '100ms', '--healthz-bind-address', '127.0.0.1:10256', '--metrics-bind-address', '127.0.0.1:10249', '--ip-families', '4']);
  const ipvs = await NetlinkIpvs.open();
  try {
    say(`Starting ipvs-proxy run --objects ${file} (a copy of examples/demo.yaml) ...`);
    await proxy.waitForLog((l) => l.msg === 'synced', 60_000);
    say();
    await cli('status');

    say(bold('Requests, 12 per Service, from pod a3 (new connection each):'));
    for (const [name, url] of [['shop/web', 'http://10.96.0.10/'], ['shop/checkout', 'http://10.96.0.20/']] as const) {
      say(`  ${name.padEnd(22)} ${fmt(countByPod(await cluster.fetchFrom('a3', url, 12)))}`);
    }
    say(`  ${'kube-system/kube-dns'.padEnd(22)} ${fmt(countByPod(await cluster.udpFrom('a3', '10.96.0.53', 53, 12)))}  (UDP)`);
    say(`  ${'shop/checkout NodePort'.padEnd(22)} ${fmt(countByPod(await cluster.fetchFrom('node-b', `http://${NODE_A_IP}:30080/`, 12)))}  (from node-b to ${NODE_A_IP}:30080)`);
    say();
    await cli('explain', 'shop/web', '--from', cluster.pod('a3').ip, '--cluster-cidr', '10.244.0.0/16');
    await cli('explain', `${NODE_A_IP}:30080`, '--from', '192.168.100.2', '--cluster-cidr', '10.244.0.0/16');

    say(bold('Scaling shop/web: pod a3 becomes ready (the EndpointSlice gains 10.244.1.12) ...'));
    const doc = YAML.parse(readFileSync(file, 'utf8')) as { items: Array<{ kind: string; metadata: { name: string }; endpoints?: unknown[] }> };
    doc.items.find((i) => i.metadata.name === 'web-1')!.endpoints!.push({ addresses: ['10.244.1.12'], conditions: { ready: true }, nodeName: 'node-a' });
    const t0 = performance.now();
    writeFileSync(`${file}.tmp`, YAML.stringify(doc));
    renameSync(`${file}.tmp`, file);
    await until(async () => (await ipvs.listRealServers({ family: 4, protocol: 'tcp', address: '10.96.0.10', port: 80 })).some((r) => r.address === '10.244.1.12'), 10_000, 'a3 programmed');
    say(`The kernel had the new real server ${Math.round(performance.now() - t0)} ms after the file changed.`);
    say();
    await cli('status', 'shop/web');
    say(`  ${'shop/web'.padEnd(22)} ${fmt(countByPod(await cluster.fetchFrom('a1', 'http://10.96.0.10/', 12)))}  (from pod a1)`);
    say();
  } finally {
    ipvs.close();
    await proxy.stop();
    await cluster.destroy();
    await resetKernel();
  }
  say(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s; pods, links, virtual servers, sets and rules removed.`);
}

/** An ipvs-proxy command as an operator runs it on the node, with its output. */
async function cli(...args: string[]): Promise<void> {
  say(bold(`$ ipvs-proxy ${args.join(' ')}`));
  const r = await exec('bin/ipvs-proxy', args);
  process.stdout.write(r.stdout);
  if (r.code !== 0) throw new Error(`ipvs-proxy ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  say();
}

const fmt = (c: Record<string, number>) => Object.entries(c).sort().map(([k, n]) => `${k}: ${n}`).join(', ');

main().then(() => process.exit(0), (e: Error) => { process.stderr.write(`demo failed: ${e.stack ?? e.message}\n`); process.exit(1); });
