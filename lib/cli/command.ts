// What a subcommand is: its options and its action. main.ts dispatches to these.
import type { Logger } from '../log.js';
import type { OptionSpec } from './options.js';
import type { Settings } from './settings.js';

export interface CommandContext {
  readonly settings: Settings;
  readonly positionals: readonly string[];
  readonly log: Logger;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Options beyond the global ones. */
  readonly options: readonly OptionSpec[];
  /** Resolves to the process exit status. */
  run(ctx: CommandContext): Promise<number>;
}
