// Every setting of the command line: its flag, aliases, config-file key, environment variable,
// type and default. The convict schema and the flag parser are both derived from this table.
import { parseDuration } from './duration.js';

export type OptionType = 'string' | 'boolean' | 'integer' | 'duration' | 'list';

export interface OptionSpec {
  /** Key in the config file and in the parsed settings. */
  readonly key: string;
  /** Long flag without the leading dashes. */
  readonly flag: string;
  readonly aliases?: readonly string[];
  readonly doc: string;
  readonly type: OptionType;
  readonly default: unknown;
  /** Allowed values, for enumerations. */
  readonly choices?: readonly string[];
  /** Extra check on a parsed value; throws with a message on a bad one. */
  readonly check?: (value: unknown) => void;
  readonly env?: string;
  /** Placeholder in --help. */
  readonly meta?: string;
}

export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'mh'] as const;
export type Scheduler = (typeof IPVS_SCHEDULERS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** Options every command accepts. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { key: 'config', flag: 'config', doc: 'configuration file (YAML or JSON); flags and environment override it', type: 'string', default: '', env: 'IPVS_PROXY_CONFIG', meta: 'FILE' },
  { key: 'logLevel', flag: 'log-level', doc: 'log level', type: 'string', default: 'info', choices: LOG_LEVELS, env: 'IPVS_PROXY_LOG_LEVEL', meta: 'LEVEL' },
];

export const SCHEDULER_OPTION: OptionSpec = {
  key: 'scheduler', flag: 'scheduler', aliases: ['ipvs-scheduler'], doc: 'IPVS scheduler for virtual servers',
  type: 'string', default: 'rr', choices: IPVS_SCHEDULERS, env: 'IPVS_PROXY_SCHEDULER', meta: 'NAME',
};

/** Parse one textual value (flag or environment) into the option's type. */
export function parseOptionValue(spec: OptionSpec, raw: string | boolean | number | readonly unknown[]): unknown {
  const where = `--${spec.flag}`;
  let value: unknown;
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
export function checkOptionValue(spec: OptionSpec, value: unknown): void {
  if (spec.choices && !spec.choices.includes(value as string)) {
    throw new Error(`--${spec.flag}: "${String(value)}" is not one of ${spec.choices.join(', ')}`);
  }
  try {
    spec.check?.(value);
  } catch (e) {
    throw new Error(`--${spec.flag}: ${(e as Error).message}`);
  }
}

/** The first spec of each key, in order. */
export function uniqueOptions(specs: readonly OptionSpec[]): OptionSpec[] {
  const seen = new Set<string>();
  return specs.filter((s) => (seen.has(s.key) ? false : (seen.add(s.key), true)));
}
