// Every setting of the command line: its flag, aliases, config-file key, environment variable,
// type and default. The convict schema, the flag parser and each command's typed settings are all
// derived from these tables.
import { parseDuration } from './duration.js';
import { IPVS_SCHEDULERS } from '../model/scheduler.js';

export type OptionType = 'string' | 'boolean' | 'integer' | 'duration' | 'list';

/** The value each option type parses to; durations are milliseconds. */
export interface OptionValues {
  string: string;
  boolean: boolean;
  integer: number;
  duration: number;
  list: readonly string[];
}
export type OptionValue = OptionValues[OptionType];
/** A spec of any key, type and choices, as lists of specs hold them: one member per option type. */
export type AnyOption = { [T in OptionType]: OptionSpec<string, T, string> }[OptionType];

/** An option's value: one of its choices when they are known, else its type's value. */
type ValueOf<T extends OptionType, C extends string> = [C] extends [never] ? OptionValues[T] : string extends C ? OptionValues[T] : C;

export interface OptionSpec<K extends string = string, T extends OptionType = OptionType, C extends string = never> {
  /** Key in the config file and in the parsed settings. */
  readonly key: K;
  /** Long flag without the leading dashes. */
  readonly flag: string;
  readonly aliases?: readonly string[];
  readonly doc: string;
  readonly type: T;
  readonly default: ValueOf<T, C>;
  /** Allowed values, for enumerations. */
  readonly choices?: readonly C[];
  /** Extra check on a parsed value; throws with a message on a bad one. Method syntax: specs of any type share one list. */
  check?(value: ValueOf<T, C>): void;
  readonly env?: string;
  /** Placeholder in --help. */
  readonly meta?: string;
}

/** A spec, with its key, type and choices kept as literal types so that settings can be typed from it. */
export function option<const K extends string, T extends OptionType, const C extends string = never>(
  spec: Omit<OptionSpec<K, T, C>, 'default' | 'check'> & { readonly default: NoInfer<ValueOf<T, C>>; check?(value: NoInfer<ValueOf<T, C>>): void },
): OptionSpec<K, T, C> {
  return spec;
}

/** The settings a list of specs gives: one typed, read-only field per key. */
export type SettingsOf<S extends readonly AnyOption[]> = { readonly [O in S[number] as O['key']]: O['default'] };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** Options every command accepts. */
export const GLOBAL_OPTIONS = [
  option({ key: 'config', flag: 'config', doc: 'configuration file (YAML or JSON); flags and environment override it', type: 'string', default: '', env: 'IPVS_PROXY_CONFIG', meta: 'FILE' }),
  option({ key: 'logLevel', flag: 'log-level', doc: 'log level', type: 'string', default: 'info', choices: LOG_LEVELS, env: 'IPVS_PROXY_LOG_LEVEL', meta: 'LEVEL' }),
] as const;
export type GlobalSettings = SettingsOf<typeof GLOBAL_OPTIONS>;

export const SCHEDULER_OPTION = option({
  key: 'scheduler', flag: 'scheduler', aliases: ['ipvs-scheduler'], doc: 'IPVS scheduler for virtual servers',
  type: 'string', default: 'rr', choices: IPVS_SCHEDULERS, env: 'IPVS_PROXY_SCHEDULER', meta: 'NAME',
});

/** Parse one textual value (flag or environment) into the option's type. */
export function parseOptionValue(spec: AnyOption, raw: string | boolean | number | readonly unknown[]): OptionValue {
  const where = `--${spec.flag}`;
  let value: OptionValue;
  switch (spec.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') { value = raw; break; }
      const s = String(raw).trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) value = true;
      else if (['0', 'false', 'no', 'off', ''].includes(s)) value = false;
      else throw new Error(`${where}: expected true or false, got "${String(raw)}"`);
      break;
    }
    case 'integer': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isInteger(n)) throw new Error(`${where}: expected an integer, got "${String(raw)}"`);
      value = n;
      break;
    }
    case 'duration':
      if (typeof raw === 'number') value = raw * 1000;
      else {
        try { value = parseDuration(String(raw)); } catch (e) { throw new Error(`${where}: ${(e as Error).message}`); }
      }
      break;
    case 'list':
      // repeated flags and comma-separated values both add to the list
      value = (Array.isArray(raw) ? raw.map(String) : [String(raw)]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
      break;
    case 'string':
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new Error(`${where}: expected a string`);
      value = String(raw);
      break;
  }
  checkOptionValue(spec, value);
  return value;
}

/** The option's own constraints (choices, check) on an already typed value. */
export function checkOptionValue(spec: AnyOption, value: unknown): void {
  if (spec.choices && !spec.choices.includes(value as never)) {
    throw new Error(`--${spec.flag}: "${String(value)}" is not one of ${spec.choices.join(', ')}`);
  }
  try {
    spec.check?.(value as never);
  } catch (e) {
    throw new Error(`--${spec.flag}: ${(e as Error).message}`);
  }
}

/** The first spec of each key, in order. */
export function uniqueOptions(specs: readonly AnyOption[]): AnyOption[] {
  const seen = new Set<string>();
  return specs.filter((s) => (seen.has(s.key) ? false : (seen.add(s.key), true)));
}
