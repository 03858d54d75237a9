// Sysctls in memory, answering like /proc/sys: ENOENT for a path the kernel does not have.
import { KernelError } from '../../lib/kernel/errors.js';
import type { Sysctls } from '../../lib/kernel/sysctl/sysctls.js';

export class FakeSysctls implements Sysctls {
  readonly values: Map<string, string>;
  readonly writes: string[] = [];
  constructor(initial: Record<string, string>) { this.values = new Map(Object.entries(initial)); }
  async read(path: string): Promise<string> {
    const v = this.values.get(path);
    if (v === undefined) throw new KernelError('ENOENT', 'read sysctl', path);
    return `${v}\n`;
  }
  async write(path: string, value: string): Promise<void> {
    if (!this.values.has(path)) throw new KernelError('ENOENT', 'write sysctl', path);
    this.values.set(path, value);
    this.writes.push(path);
  }
}
