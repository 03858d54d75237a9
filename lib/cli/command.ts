// What a subcommand is: its options and its action, with settings typed from its own options.
// main.ts dispatches to these.
import type { Logger } from '../log.js';
import type { AnyOption, GLOBAL_OPTIONS, SettingsOf } from './options.js';

export interface CommandContext<S> {
  readonly settings: S;
  readonly positionals: readonly string[];
  readonly log: Logger;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** The settings of a command whose own options are O (the global ones come with every command). */
export type CommandSettings<O extends readonly AnyOption[]> = SettingsOf<typeof GLOBAL_OPTIONS> & SettingsOf<O>;

export interface Command<O extends readonly AnyOption[] = readonly AnyOption[]> {
  readonly name: string;
  readonly summary: string;
  /** Options beyond the global ones. */
  readonly options: O;
  /**
   * Resolves to the process exit status. Method syntax: main holds commands of every option list,
   * and hands each the settings loadSettings checked against that command's own specs.
   */
  run(ctx: CommandContext<CommandSettings<O>>): Promise<number>;
}

/** A command, its settings typed from its options. */
export const command = <const O extends readonly AnyOption[]>(c: Command<O>): Command<O> => c;
