// Network namespaces for tests: created with a unique name, always deleted afterwards.
import { randomBytes } from 'node:crypto';
import { exec, run } from './exec.js';

export async function withNetns<T>(prefix: string, body: (ns: string) => Promise<T>): Promise<T> {
  const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
  await run('ip', 'netns', 'add', ns);
  try {
    await run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    return await body(ns);
  } finally {
    await exec('ip', ['netns', 'del', ns]);
  }
}

/** Run a command inside a namespace. */
export const inNetns = (ns: string, cmd: string, ...args: string[]) => run('ip', 'netns', 'exec', ns, cmd, ...args);
