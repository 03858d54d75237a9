// Kernel errors with the errno name and the object that failed, for every adapter.
import { constants } from 'node:os';

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    /** errno name (EEXIST, ENOENT, ESRCH…), or a tool's error kind */
    readonly code: string,
    /** what was attempted, e.g. "add virtual server" */
    readonly operation: string,
    /** the object, e.g. "TCP 10.96.0.1:443" */
    readonly object: string,
    detail?: string,
  ) {
    super(`${operation} ${object}: ${code}${detail ? ` (${detail})` : ''}`);
  }
}

export function isKernelError(e: unknown, code?: string): e is KernelError {
  return e instanceof KernelError && (code === undefined || e.code === code);
}
