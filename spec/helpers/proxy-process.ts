// ipvs-proxy as a real process, started as in production by bin/ipvs-proxy (the built dist/ with
// its Node flags), its JSON log lines kept for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/ipvs-proxy', import.meta.url));

export class ProxyProcess {
  readonly logs: Array<Record<string, unknown>> = [];
  readonly stdout: string[] = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** when it was spawned (performance.now()), to place its own traces' times among the caller's */
  readonly spawnedAt = performance.now();

  /** nodeFlags: more Node/V8 flags for the proxy (bin/ipvs-proxy's IPVS_PROXY_NODE_FLAGS), e.g. --trace-gc */
  constructor(args: readonly string[], nodeFlags = '') {
    const env = nodeFlags ? { ...process.env, IPVS_PROXY_NODE_FLAGS: nodeFlags } : process.env;
    this.child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    // Node's own traces (--trace-gc through IPVS_PROXY_NODE_FLAGS); the proxy logs to stderr
    createInterface({ input: this.child.stdout! }).on('line', (l) => this.stdout.push(l));
    createInterface({ input: this.child.stderr! }).on('line', (l) => {
      try { this.logs.push(JSON.parse(l) as Record<string, unknown>); } catch { this.logs.push({ msg: l }); }
    });
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  /** Resolves once a log line matches; rejects on timeout or exit. */
  async waitForLog(match: (l: Record<string, unknown>) => boolean, ms = 30_000, from = 0): Promise<Record<string, unknown>> {
    const end = Date.now() + ms;
    let exited = false;
    void this.exited.then(() => { exited = true; });
    for (;;) {
      const hit = this.logs.slice(from).find(match);
      if (hit) return hit;
      if (exited) throw new Error(`ipvs-proxy exited; logs:\n${this.logs.map((l) => JSON.stringify(l)).join('\n')}`);
      if (Date.now() > end) throw new Error(`timed out waiting for a log line; logs:\n${this.logs.slice(-20).map((l) => JSON.stringify(l)).join('\n')}`);
      await sleep(20);
    }
  }

  get pid(): number { return this.child.pid ?? 0; }

  signal(sig: NodeJS.Signals): void { this.child.kill(sig); }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(10);
  }
}
