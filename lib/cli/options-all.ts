// The union of every command's options, for commands that show or accept all of them.
import { GLOBAL_OPTIONS, SCHEDULER_OPTION, uniqueOptions, type AnyOption } from './options.js';
import { RUN_OPTIONS } from './commands/run.js';

export const ALL_OPTIONS: readonly AnyOption[] = uniqueOptions([...GLOBAL_OPTIONS, SCHEDULER_OPTION, ...RUN_OPTIONS]);
