// Command-line parsing: the subcommand, then flags checked against the options that command
// accepts. convict ignores unknown flags silently, so the check is done here.
import type { AnyOption } from './options.js';

export interface ParsedArgs {
  readonly command: string | undefined;
  /** Raw flag values by option key; list options collect every occurrence. */
  readonly values: ReadonlyMap<string, string | boolean | string[]>;
  readonly positionals: readonly string[];
  readonly help: boolean;
  readonly version: boolean;
}

export class UsageError extends Error {}

export function parseArgs(
  argv: readonly string[],
  commandNames: readonly string[],
  optionsFor: (command: string | undefined) => readonly AnyOption[],
): ParsedArgs {
  let i = 0;
  let command: string | undefined;
  if (argv[0] !== undefined && !argv[0].startsWith('-')) {
    if (!commandNames.includes(argv[0])) {
      throw new UsageError(`unknown command "${argv[0]}"; commands: ${commandNames.join(', ')}`);
    }
    command = argv[0];
    i = 1;
  }
  const specs = optionsFor(command);
  const byFlag = new Map<string, AnyOption>();
  for (const s of specs) {
    byFlag.set(s.flag, s);
    for (const a of s.aliases ?? []) byFlag.set(a, s);
  }
  const values = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  let help = false;
  let version = false;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (arg === '-h' || arg === '--help') { help = true; continue; }
    if (arg === '--version') { version = true; continue; }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg !== '-') throw unknownFlag(arg, specs);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = byFlag.get(name);
    if (!spec && name.startsWith('no-') && inline === undefined) {
      const b = byFlag.get(name.slice(3));
      if (b?.type === 'boolean') { spec = b; inline = 'false'; name = name.slice(3); }
    }
    if (!spec) throw unknownFlag(arg, specs);
    let raw: string | boolean;
    if (inline !== undefined) raw = inline;
    else if (spec.type === 'boolean') {
      // "--flag true|false" is accepted as Go's flag package does not, but kube-proxy users write it.
      const next = argv[i + 1];
      if (next !== undefined && /^(true|false)$/i.test(next)) { raw = next; i++; } else raw = true;
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${name} needs a value`);
      raw = next;
      i++;
    }
    if (spec.type === 'list') {
      const prev = values.get(spec.key);
      values.set(spec.key, [...(Array.isArray(prev) ? prev : []), String(raw)]);
    } else {
      values.set(spec.key, raw);
    }
  }
  return { command, values, positionals, help, version };
}

function unknownFlag(arg: string, specs: readonly AnyOption[]): UsageError {
  const valid = specs.map((s) => `--${s.flag}`).concat('--help', '--version').sort();
  return new UsageError(`unknown flag ${arg}; valid flags: ${valid.join(' ')}`);
}
