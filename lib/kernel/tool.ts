// Running the netfilter tools (ipset, iptables-restore…) with text on stdin. The runner is a
// parameter so that tests can run the tools in a fresh network namespace.
import { spawn } from 'node:child_process';

export interface ToolResult { readonly code: number; readonly stdout: string; readonly stderr: string }
export type ToolRunner = (cmd: string, args: readonly string[], stdin?: string) => Promise<ToolResult>;

export const runTool: ToolRunner = (cmd, args, stdin) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => resolve({ code: 127, stdout: '', stderr: `${cmd}: ${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined); // the tool may exit before reading everything
    child.stdin.end(stdin ?? '');
  });
