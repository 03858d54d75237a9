// The cluster VM: scripts/vm-run booting Debian's kernel with its NIC on the tap device of
// scripts/cluster/netns-run, running scripts/cluster/vm-agent.mjs, through which the host runs
// commands in the VM (scripts/cluster/vm-node for the nodes).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecResult } from '../../spec/helpers/exec.js';
import { LoggedError } from './steps.js';

const REPO = resolve(import.meta.dirname, '../..');
export const VM_ADDRESS = '10.10.0.2';
const AGENT = `http://${VM_ADDRESS}:7000`;

export interface VmOptions {
  /** where the guest's console, the agent's output and the nodes' logs go */
  readonly dir: string;
  readonly memoryMiB: number;
  readonly cpus: number;
  /** the kubelet binary (a host path: the guest runs the host's files) */
  readonly kubelet: string;
  readonly kernel?: string;
}

export class ClusterVm {
  /** child: the vm-run process, when this process started the VM */
  private constructor(private readonly child: ChildProcess | undefined, readonly dir: string) {}

  /** The VM another process of this network namespace started (its run folder: dir). */
  static attach(dir: string): ClusterVm {
    return new ClusterVm(undefined, join(dir, 'vm-share'));
  }

  static async start(o: VmOptions): Promise<ClusterVm> {
    const log = createWriteStream(join(o.dir, 'vm.log'));
    const share = join(o.dir, 'vm-share');
    const child = spawn(join(REPO, 'scripts/vm-run'), [join(REPO, 'node_modules/.bin/node'), join(REPO, 'scripts/cluster/vm-agent.mjs')], {
      cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, VM_NET: 'tap:ktap0', VM_MEMORY: String(o.memoryMiB), VM_CPUS: String(o.cpus), VM_TIMEOUT: String(6 * 3600),
        VM_RUN_DIR: share, CLUSTER_KUBELET: o.kubelet, ...(o.kernel ? { IPVS_PROXY_VM_KERNEL: o.kernel } : {}) },
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const vm = new ClusterVm(child, share);
    const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? 1)));
    const deadline = Date.now() + 300_000;
    for (;;) {
      const up = await Promise.race([vm.health(), exited.then((code) => `exited ${code}` as const)]);
      if (up === true) return vm;
      if (typeof up === 'string' || Date.now() > deadline) {
        child.kill('SIGTERM');
        const said = existsSync(join(o.dir, 'vm.log')) ? readFileSync(join(o.dir, 'vm.log'), 'utf8').trim().split('\n').at(-1) : undefined;
        throw new LoggedError(`${typeof up === 'string' ? `vm-run ${up} before the VM's agent answered` : "the VM's agent did not answer within 300 s"}${said ? `: ${said}` : ''}`, join(o.dir, 'vm.log'));
      }
      await sleep(500);
    }
  }

  /** A command in the VM (its root namespaces), with the checkout as working directory. */
  run(argv: readonly string[], o: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return agent<ExecResult>('POST', '/run', { argv, input: o.input, timeoutMs: o.timeoutMs ?? 600_000 });
  }

  /** Like run, but a non-zero exit throws with what the command printed. */
  async must(argv: readonly string[], o: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.run(argv, o);
    if (r.code !== 0) {
      const what = argv[0] === 'bash' ? argv.slice(1, 3).map((a) => a.split('/').at(-1)).join(' ') : argv[0];
      const said = (r.stderr.trim() || r.stdout.trim()).split('\n').at(-1);
      throw new Error(`in the VM, ${what} exited ${r.code}: ${said}`);
    }
    return r.stdout;
  }

  /** scripts/cluster/vm-node with these arguments. */
  node(...args: string[]): Promise<string> {
    return this.must(['bash', 'scripts/cluster/vm-node', ...args]);
  }

  /** Write a file in the VM. */
  async put(path: string, content: string): Promise<void> {
    await this.must(['bash', 'scripts/cluster/vm-node', 'put', path], { input: content });
  }

  /** Stop the agent (the VM powers off), or QEMU itself if the agent does not answer. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    await agent('POST', '/stop', {}).catch(() => child.kill('SIGTERM'));
    const t = setTimeout(() => child.kill('SIGTERM'), 30_000);
    await exited;
    clearTimeout(t);
  }

  private health(): Promise<boolean> {
    return agent('GET', '/health').then(() => true, () => false);
  }
}

function agent<T>(method: string, path: string, body?: unknown): Promise<T> {
  return new Promise((res, rej) => {
    const req = request(`${AGENT}${path}`, { method, timeout: 0, headers: { 'content-type': 'application/json' } }, (r) => {
      let text = '';
      r.setEncoding('utf8').on('data', (d: string) => { text += d; });
      r.on('end', () => {
        if (r.statusCode !== 200) return rej(new Error(`VM agent ${method} ${path}: HTTP ${r.statusCode} ${text}`));
        try { res(JSON.parse(text) as T); } catch (e) { rej(e as Error); }
      });
    });
    req.on('error', rej);
    if (method === 'GET') req.setTimeout(2000, () => req.destroy(new Error('timeout')));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
