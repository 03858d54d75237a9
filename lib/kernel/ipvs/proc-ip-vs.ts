// Every real server of every virtual server in one read of /proc/net/ip_vs (the kernel's own
// table listing), instead of one netlink dump per virtual server: IPVS has no netlink dump of
// all destinations, and a full resync of 30,000 virtual servers would need 30,000 round trips.
// Virtual server settings still come from the netlink dump; this gives destinations and counters.
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { flat } from '../../flat-string.js';
import { hostPort, ipFromBytes } from '../../net/address.js';
import type { ForwardMethod } from './types.js';
import { RealServerStatusList, statusEntry } from './status-list.js';

const FORWARD: Readonly<Record<string, ForwardMethod>> = { Masq: 'masq', Local: 'local', Tunnel: 'tunnel', Route: 'route', Bypass: 'bypass' };

/** "TCP 10.96.0.1:443" (vsKey) -> its real servers, from the text of /proc/net/ip_vs. */
export function parseProcIpVs(text: string): Map<string, RealServerStatusList> {
  const parser = new ProcIpVsParser();
  parser.push(text);
  return parser.end();
}

/**
 * The same, from the text in pieces of any size (a line may be split between two): the table
 * (tens of MB at scale) is never held whole, as the idle resync that reads it sets the peak memory.
 */
export class ProcIpVsParser {
  private readonly out = new Map<string, RealServerStatusList>();
  /** the virtual server being read, and its real servers so far */
  private key: string | undefined;
  private current: string[] = [];
  /** the start of a line whose end has not come yet */
  private rest = '';

  push(piece: string): void {
    const text = this.rest + piece;
    // Hundreds of thousands of lines at scale: one split per line, no regular-expression captures.
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      this.line(text.slice(start, end));
      start = end + 1;
    }
    this.rest = text.slice(start);
  }

  end(): Map<string, RealServerStatusList> {
    if (this.rest) this.line(this.rest);
    this.rest = '';
    this.close();
    return this.out;
  }

  /** The virtual server being read is complete. */
  private close(): void {
    if (this.key !== undefined) this.out.set(this.key, RealServerStatusList.of(this.current));
    this.key = undefined;
    this.current = [];
  }

  private line(line: string): void {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'TCP' || f[0] === 'UDP' || f[0] === 'SCTP') {
      this.close();
      const ep = endpoint(f[1] ?? '');
      // kept until the plan: one flat string, not a tree of the pieces (see flat)
      if (ep) this.key = flat(`${f[0]} ${hostPort(ep.address, ep.port)}`);
      return;
    }
    if (f[0] === 'FWM') { this.close(); return; }
    if (f[0] !== '->' || this.key === undefined || f.length < 6) return;
    const ep = endpoint(f[1]!);
    const [weight, active, inactive] = [Number(f[3]), Number(f[4]), Number(f[5])];
    if (!ep || !Number.isInteger(weight) || !Number.isInteger(active) || !Number.isInteger(inactive)) return;
    this.current.push(statusEntry(ep.address, ep.port, FORWARD[f[2]!] ?? 'masq', weight, active, inactive));
  }
}

/**
 * The table read by a `cat` child process, its output parsed as it comes: the kernel hands out
 * /proc/net/ip_vs one page per read(), and each read by Node is a round trip through its thread
 * pool, where cat makes them in C and Node reads the pipe 64 KB at a time. Without a cat on the
 * PATH, Node reads the file itself.
 */
export function readProcIpVs(path = '/proc/net/ip_vs', cat = 'cat'): Promise<Map<string, RealServerStatusList>> {
  return new Promise((resolve, reject) => {
    const parser = new ProcIpVsParser();
    const child = spawn(cat, ['--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let failed: Error | undefined;
    let missing = false;
    // the kernel writes the table in ASCII
    child.stdout.on('data', (piece: Buffer) => {
      if (failed) return;
      try { parser.push(piece.toString('latin1')); } catch (e) { failed = e as Error; child.kill(); }
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') missing = true;
      else failed ??= new Error(`cannot run ${cat} to read ${path}: ${e.message}`);
    });
    child.on('close', (code) => {
      if (missing) readDirectly(path).then(resolve, reject);
      else if (failed) reject(failed);
      else if (code !== 0) reject(new Error(`reading ${path} failed: ${stderr.trim() || `${cat} exited with ${code}`}`));
      else resolve(parser.end());
    });
  });
}

/** The table read by Node itself, a piece at a time. */
async function readDirectly(path: string): Promise<Map<string, RealServerStatusList>> {
  const file = await open(path, 'r').catch((e: Error) => { throw new Error(`reading ${path} failed: ${e.message}`); });
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    const parser = new ProcIpVsParser();
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      parser.push(buf.toString('latin1', 0, bytesRead));
    }
    return parser.end();
  } finally {
    await file.close();
  }
}

/** "0A600001:01BB" or "[fd00:0010:…:0001]:01BB" as an address and a port. */
function endpoint(text: string): { address: string; port: number } | undefined {
  if (text.length === 13 && text[8] === ':' && HEX.test(text)) {
    const n = parseInt(text.slice(0, 8), 16);
    return { address: `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, port: parseInt(text.slice(9), 16) };
  }
  const v6 = /^\[([0-9a-f:]+)\]:([0-9A-F]{4})$/i.exec(text);
  if (!v6) return undefined;
  const bytes = Buffer.from(v6[1]!.split(':').map((g) => g.padStart(4, '0')).join(''), 'hex');
  return bytes.length === 16 ? { address: ipFromBytes(bytes, 6), port: parseInt(v6[2]!, 16) } : undefined;
}

const HEX = /^[0-9A-F]{8}:[0-9A-F]{4}$/i;
