// A simulated two-node cluster inside the VM, for the end-to-end tests and the demo.
// node-a is the VM's root network namespace, where the proxy runs: pods are network namespaces
// on the bridge cbr0 (10.244.1.0/24, fd00:10:244:1::/64). node-b is one namespace reached over
// a veth (192.168.100.0/24, fd00:100::/64); its pods are addresses on its loopback
// (10.244.2.0/24, fd00:10:244:2::/64), each served by its own agent.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { exec } from '../../spec/helpers/exec.js';

export const NODE_A_IP = '192.168.100.1';
export const NODE_A_IP6 = 'fd00:100::1';
export const NODE_B_IP = '192.168.100.2';
export const NODE_B_IP6 = 'fd00:100::2';
export const BRIDGE_IP = '10.244.1.1';
const NODE_B = 'tc-node-b';
const AGENT = fileURLToPath(new URL('./pod-agent.mjs', import.meta.url));

export interface PodSpec {
  readonly name: string;
  readonly node: 'node-a' | 'node-b';
  /** last octet / last group of its addresses: 10.244.{1|2}.N and fd00:10:244:{1|2}::N */
  readonly n: number;
}

export interface Pod extends PodSpec {
  readonly ip: string;
  readonly ip6: string;
  /** network namespace the pod's traffic starts in */
  readonly netns: string;
}

export interface Reply { pod?: string; client?: string; error?: string }

async function sh(cmd: string, ...args: string[]): Promise<void> {
  const r = await exec(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
}

export class TestCluster {
  private readonly agents: ChildProcess[] = [];
  readonly pods = new Map<string, Pod>();

  static async create(pods: readonly PodSpec[]): Promise<TestCluster> {
    const c = new TestCluster();
    try {
      await c.setUp(pods);
    } catch (e) {
      await c.destroy();
      throw e;
    }
    return c;
  }

  pod(name: string): Pod {
    const p = this.pods.get(name);
    if (!p) throw new Error(`no pod ${name}`);
    return p;
  }

  /** HTTP requests to url from a pod (or from node-b: pod "node-b"), one new connection each. */
  fetchFrom(from: string, url: string, n = 1): Promise<Reply[]> {
    return this.control(from, `/fetch?url=${encodeURIComponent(url)}&n=${n}`);
  }

  udpFrom(from: string, host: string, port: number, n = 1): Promise<Reply[]> {
    return this.control(from, `/udp?host=${encodeURIComponent(host)}&port=${port}&n=${n}`);
  }

  async destroy(): Promise<void> {
    for (const a of this.agents) a.kill('SIGTERM');
    for (const p of this.pods.values()) if (p.node === 'node-a') await exec('ip', ['netns', 'del', p.netns]);
    await exec('ip', ['netns', 'del', NODE_B]);
    await exec('ip', ['link', 'del', 'cbr0']);
    await exec('ip', ['link', 'del', 'nb0']);
  }

  private control(from: string, path: string): Promise<Reply[]> {
    const ip = from === 'node-b' ? NODE_B_IP : this.pod(from).ip;
    return new Promise((resolve, reject) => {
      const req = request({ host: ip, port: 9000, path, agent: false, timeout: 60_000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => { try { resolve(JSON.parse(body) as Reply[]); } catch (e) { reject(e as Error); } });
      });
      req.on('error', reject);
      req.end();
    });
  }

  private async setUp(pods: readonly PodSpec[]): Promise<void> {
    await sh('sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
    await sh('ip', 'link', 'add', 'cbr0', 'type', 'bridge');
    await sh('ip', 'addr', 'add', `${BRIDGE_IP}/24`, 'dev', 'cbr0');
    await sh('ip', '-6', 'addr', 'add', 'fd00:10:244:1::1/64', 'dev', 'cbr0', 'nodad');
    await sh('ip', 'link', 'set', 'cbr0', 'up');

    await sh('ip', 'netns', 'add', NODE_B);
    await sh('ip', 'link', 'add', 'nb0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NODE_B);
    await sh('ip', 'addr', 'add', `${NODE_A_IP}/24`, 'dev', 'nb0');
    await sh('ip', '-6', 'addr', 'add', `${NODE_A_IP6}/64`, 'dev', 'nb0', 'nodad');
    await sh('ip', 'link', 'set', 'nb0', 'up');
    const inB = (...a: string[]) => sh('ip', '-n', NODE_B, ...a);
    await inB('link', 'set', 'lo', 'up');
    await inB('addr', 'add', `${NODE_B_IP}/24`, 'dev', 'eth0');
    await inB('-6', 'addr', 'add', `${NODE_B_IP6}/64`, 'dev', 'eth0', 'nodad');
    await inB('link', 'set', 'eth0', 'up');
    await inB('route', 'add', 'default', 'via', NODE_A_IP);
    await inB('-6', 'route', 'add', 'default', 'via', NODE_A_IP6);
    await sh('ip', 'route', 'add', '10.244.2.0/24', 'via', NODE_B_IP);
    await sh('ip', '-6', 'route', 'add', 'fd00:10:244:2::/64', 'via', NODE_B_IP6);
    await this.startAgent(NODE_B, 'node-b', [NODE_B_IP, NODE_B_IP6]);

    for (const spec of pods) {
      const subnet = spec.node === 'node-a' ? 1 : 2;
      const pod: Pod = { ...spec, ip: `10.244.${subnet}.${spec.n}`, ip6: `fd00:10:244:${subnet}::${spec.n.toString(16)}`, netns: spec.node === 'node-a' ? `tc-${spec.name}` : NODE_B };
      this.pods.set(pod.name, pod);
      if (spec.node === 'node-a') {
        const host = `v-${spec.name}`.slice(0, 15);
        await sh('ip', 'netns', 'add', pod.netns);
        await sh('ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns);
        await sh('ip', 'link', 'set', host, 'master', 'cbr0', 'up');
        // As the bridge CNI plugin's hairpinMode: a pod reaching itself through a Service gets
        // its packets back through the port they came in by.
        await sh('ip', 'link', 'set', host, 'type', 'bridge_slave', 'hairpin', 'on');
        const inPod = (...a: string[]) => sh('ip', '-n', pod.netns, ...a);
        await inPod('link', 'set', 'lo', 'up');
        await inPod('addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
        await inPod('-6', 'addr', 'add', `${pod.ip6}/64`, 'dev', 'eth0', 'nodad');
        await inPod('link', 'set', 'eth0', 'up');
        await inPod('route', 'add', 'default', 'via', BRIDGE_IP);
        await inPod('-6', 'route', 'add', 'default', 'via', 'fd00:10:244:1::1');
        await this.startAgent(pod.netns, pod.name, ['0.0.0.0', '::']);
      } else {
        await inB('addr', 'add', `${pod.ip}/32`, 'dev', 'lo');
        await inB('-6', 'addr', 'add', `${pod.ip6}/128`, 'dev', 'lo', 'nodad');
        await this.startAgent(NODE_B, pod.name, [pod.ip, pod.ip6]);
      }
    }
  }

  private startAgent(netns: string, name: string, binds: readonly string[]): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, AGENT, '--name', name, '--bind', binds.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.agents.push(child);
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (l) => (l.startsWith('ready') ? resolve() : reject(new Error(`agent ${name}: ${l}`))));
      child.once('exit', (code) => reject(new Error(`agent ${name} exited ${code}`)));
    });
  }
}

/** How many replies came from each pod ("error" for failures). */
export function countByPod(replies: readonly Reply[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of replies) { const k = r.pod ?? `error ${r.error}`; out[k] = (out[k] ?? 0) + 1; }
  return out;
}
