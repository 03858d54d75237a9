// Set changes as `ipset restore` input: one line per set command or member.
import { createOptions, type SetChange } from './types.js';

/** The lines of the changes, in order (a member line per member of an add or del). */
export function* restoreLines(changes: readonly SetChange[]): Generator<string> {
  for (const c of changes) {
    switch (c.op) {
      case 'create': yield `create ${c.set.name} ${c.set.type} ${createOptions(c.set)}`; break;
      case 'add': case 'del': for (const m of c.members) yield `${c.op} ${c.set} ${m} -exist`; break;
      case 'swap': yield `swap ${c.set} ${c.with}`; break;
      case 'destroy': yield `destroy ${c.set}`; break;
    }
  }
}

export function restoreText(changes: readonly SetChange[]): string {
  const lines = [...restoreLines(changes)];
  return lines.length ? `${lines.join('\n')}\n` : '';
}
