// The ipvs-proxy command line: global flags, --help, --version, and dispatch to a subcommand.
import { parseArgs, UsageError } from './args.js';
import type { Command } from './command.js';
import { GLOBAL_OPTIONS, uniqueOptions, type AnyOption } from './options.js';
import { loadSettings } from './settings.js';
import { showConfigCommand } from './commands/show-config.js';
import { planCommand } from './commands/plan.js';
import { runCommand } from './commands/run.js';
import { cleanupCommand } from './commands/cleanup.js';
import { statusCommand } from './commands/status.js';
import { explainCommand } from './commands/explain.js';
import { migrateCommand } from './commands/migrate.js';
import { createLogger } from '../log.js';
import { VERSION } from '../version.js';
import { formatDuration } from './duration.js';

export const COMMANDS: readonly Command[] = [runCommand, planCommand, cleanupCommand, statusCommand, explainCommand, migrateCommand, showConfigCommand];
/** Every key the configuration file may hold, across all commands. */
const CONFIG_KEYS: ReadonlySet<string> = new Set(COMMANDS.flatMap((c) => c.options.map((o) => o.key)));
/** The command run when none is named. */
const DEFAULT_COMMAND = 'run';

export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

export async function main(argv: readonly string[], io: Io, commands: readonly Command[] = COMMANDS): Promise<number> {
  const find = (name: string | undefined) => commands.find((c) => c.name === (name ?? DEFAULT_COMMAND));
  const optionsFor = (name: string | undefined): readonly AnyOption[] => uniqueOptions([...GLOBAL_OPTIONS, ...(find(name)?.options ?? [])]);
  let parsed;
  try {
    parsed = parseArgs(argv, commands.map((c) => c.name), optionsFor);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`ipvs-proxy: ${e.message}\nRun "ipvs-proxy --help" for usage.\n`);
    return 2;
  }
  if (parsed.version) {
    io.stdout.write(`ipvs-proxy ${VERSION} (node ${process.versions.node})\n`);
    return 0;
  }
  const command = find(parsed.command);
  if (parsed.help || !command) {
    // Plain --help describes every command, with the default command's flags.
    const text = help(commands, parsed.command === undefined ? undefined : command, command);
    if (parsed.help) { io.stdout.write(text); return 0; }
    io.stderr.write(`ipvs-proxy: no command given\n${text}`);
    return 2;
  }
  let loaded;
  try {
    // optionsFor lists the global options first; naming them here types the global settings
    loaded = loadSettings([...GLOBAL_OPTIONS, ...optionsFor(command.name).slice(GLOBAL_OPTIONS.length)], parsed.values, io.env, CONFIG_KEYS);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`ipvs-proxy: ${e.message}\n`);
    return 2;
  }
  const { settings, warnings } = loaded;
  const log = createLogger(settings.logLevel, io.stderr);
  for (const w of warnings) log.warn({ config: settings.config }, `configuration file: ${w}`);
  try {
    return await command.run({ settings, positionals: parsed.positionals, log, stdout: io.stdout, stderr: io.stderr, env: io.env });
  } catch (e) {
    // settings that are valid one by one but not together
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`ipvs-proxy: ${e.message}\n`);
    return 2;
  }
}

function help(commands: readonly Command[], command: Command | undefined, flagsOf = command): string {
  const lines: string[] = [];
  if (command) {
    lines.push(`Usage: ipvs-proxy ${command.name} [flags]`, '', command.summary, '');
  } else {
    lines.push('Usage: ipvs-proxy [command] [flags]', '',
      'A Kubernetes service proxy on IPVS: a maintained drop-in for kube-proxy --proxy-mode=ipvs.', '', 'Commands:');
    for (const c of commands) lines.push(`  ${c.name.padEnd(14)}${c.summary}`);
    lines.push('');
  }
  lines.push(command || !flagsOf ? 'Flags:' : `Flags (of ${flagsOf.name}; "ipvs-proxy COMMAND --help" for another command's):`);
  const specs = uniqueOptions([...GLOBAL_OPTIONS, ...(flagsOf?.options ?? [])]);
  const rows: Array<[string, string]> = [];
  for (const s of specs) {
    const name = `--${s.flag}${s.type === 'boolean' ? '' : ` ${s.meta ?? 'VALUE'}`}`;
    const extra = [
      s.choices ? `one of ${s.choices.join(', ')}` : '',
      s.default !== '' && s.default !== undefined && !(Array.isArray(s.default) && s.default.length === 0)
        ? `default ${s.type === 'duration' && typeof s.default === 'number' ? formatDuration(s.default) : JSON.stringify(s.default)}` : '',
      s.aliases?.length ? `alias ${s.aliases.map((a) => `--${a}`).join(', ')}` : '',
      s.env ? `env ${s.env}` : '',
    ].filter(Boolean).join('; ');
    rows.push([name, `${s.doc}${extra ? ` (${extra})` : ''}`]);
  }
  rows.push(['--help', 'show this help'], ['--version', 'print the version']);
  // one column for the texts, two spaces right of the longest flag
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  for (const [name, text] of rows) lines.push(`  ${name.padEnd(width)}${text}`);
  lines.push('');
  return lines.join('\n');
}
