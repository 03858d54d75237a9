// Reading and writing `ipset save` text.
import type { SetState, SetType } from './types.js';
import { byName, createOptions } from './types.js';

export function parseIpsetSave(text: string, keep: (name: string) => boolean = () => true): Map<string, SetState> {
  const sets = new Map<string, { name: string; type: SetType; family: 4 | 6; members: Set<string> }>();
  for (const line of text.split('\n')) {
    const [verb, name, rest, ...opts] = line.trim().split(/\s+/);
    if (!name || !keep(name)) continue;
    if (verb === 'create') {
      const fam = opts[opts.indexOf('family') + 1];
      sets.set(name, { name, type: rest as SetType, family: fam === 'inet6' ? 6 : 4, members: new Set() });
    } else if (verb === 'add' && rest) {
      sets.get(name)?.members.add(rest);
    }
  }
  return sets;
}

/** `ipset save` text for sets (members sorted; no bucketsize/initval, which vary per kernel). */
export function formatIpsetSave(sets: Iterable<SetState>): string {
  const out: string[] = [];
  for (const s of [...sets].sort(byName)) {
    out.push(`create ${s.name} ${s.type} ${createOptions(s)}`);
    for (const m of [...s.members].sort()) out.push(`add ${s.name} ${m}`);
  }
  return out.map((l) => `${l}\n`).join('');
}
