// The union of every command's options, for commands that show or accept all of them.
import { GLOBAL_OPTIONS, SCHEDULER_OPTION, uniqueOptions, type OptionSpec } from './options.js';
import { MODEL_OPTIONS } from './options-model.js';

export const ALL_OPTIONS: readonly OptionSpec[] = uniqueOptions([...GLOBAL_OPTIONS, SCHEDULER_OPTION, ...MODEL_OPTIONS]);
