// The cluster's steps: waiting for a condition, and failures that say where their log is.
import { setTimeout as sleep } from 'node:timers/promises';

/** An error that says where its log is. */
export class LoggedError extends Error {
  constructor(message: string, readonly log: string) {
    super(message);
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
