// The cluster's steps: waiting for a condition, and failures that say where their log is.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** An error that says where its log is. */
export class LoggedError extends Error {
  constructor(message: string, readonly log: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** f's first value that is not undefined or false, or an error "WHAT" once ms have passed. */
export async function until<T>(what: string, ms: number, f: () => Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(what);
    await sleep(500);
  }
}

/**
 * The last lines of a failure's log (a LoggedError's file, or each *.log of its folder) and of the
 * VM's console, under the run's folder dir: what a reader of a CI log, who has no other, needs.
 */
export function logTails(e: unknown, dir: string, lines = 12): string {
  const files: string[] = [];
  const add = (path: string, depth = 0) => {
    if (!existsSync(path) || files.includes(path)) return;
    if (statSync(path).isDirectory()) {
      if (depth < 2) for (const f of readdirSync(path).sort()) add(join(path, f), depth + 1);
    } else if (depth === 0 || path.endsWith('.log')) files.push(path);
  };
  if (e instanceof LoggedError) add(e.log);
  add(join(dir, 'vm-share/console.log'));
  return files.map((f) => {
    const tail = readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return `--- ${relative(dir, f) || f} (last ${lines} lines)\n${tail}`;
  }).join('\n');
}
