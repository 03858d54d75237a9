// Effective settings: defaults < config file < environment < flags, through convict.
import { readFileSync } from 'node:fs';
import convict from 'convict';
import YAML from 'yaml';
import { checkOptionValue, parseOptionValue, type OptionSpec, type OptionType } from './options.js';
import { UsageError } from './args.js';

interface LooseConfig {
  loadFile(file: string): void;
  set(key: string, value: unknown): void;
  get(key: string): unknown;
  validate(opts: { allowed: 'strict' | 'warn' }): void;
}

export type Settings = Readonly<Record<string, unknown>>;

// One convict format per option type: coerce turns environment strings into typed values
// (convict's own Boolean coercion reads "0" as true), validate checks file values.
const TYPE_CHECKS: Readonly<Record<OptionType, (v: unknown) => boolean>> = {
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  integer: (v) => Number.isInteger(v),
  duration: (v) => typeof v === 'number' && v >= 0,
  list: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
};
const COERCE_SPEC = (type: OptionType): OptionSpec => ({ key: type, flag: type, doc: '', type, default: undefined });
for (const type of Object.keys(TYPE_CHECKS) as OptionType[]) {
  convict.addFormat({
    name: `ipvs-proxy-${type}`,
    coerce: (v: unknown) => (typeof v === 'string' ? parseOptionValue(COERCE_SPEC(type), v) : v),
    validate: (v: unknown) => {
      if (!TYPE_CHECKS[type](v)) throw new Error(`must be a ${type}`);
    },
  });
}
convict.addParser([
  { extension: ['yaml', 'yml'], parse: (text: string) => YAML.parse(text) as unknown },
  { extension: 'json', parse: (text: string) => JSON.parse(text) as unknown },
]);

export function loadSettings(
  specs: readonly OptionSpec[],
  flags: ReadonlyMap<string, string | boolean | string[]>,
  env: NodeJS.ProcessEnv,
): Settings {
  const schema: Record<string, convict.SchemaObj> = {};
  for (const s of specs) {
    schema[s.key] = { doc: s.doc, format: `ipvs-proxy-${s.type}`, default: s.default as never, ...(s.env ? { env: s.env } : {}) };
  }
  const bySpec = new Map(specs.map((s) => [s.key, s]));
  const file = (flags.get('config') as string | undefined) ?? env.IPVS_PROXY_CONFIG;
  try {
    // convict's typed paths do not help with a schema built at run time.
    const conf = convict(schema, { env, args: [] }) as unknown as LooseConfig;
    if (file) {
      readFileSync(file); // fail with the OS error (ENOENT, EACCES) before convict's vaguer one
      conf.loadFile(file);
    }
    for (const [key, raw] of flags) conf.set(key, parseOptionValue(bySpec.get(key)!, raw));
    conf.validate({ allowed: 'strict' });
    const out: Record<string, unknown> = {};
    for (const s of specs) {
      const v = conf.get(s.key);
      if (!flags.has(s.key)) checkOptionValue(s, v); // choices and checks, for file and env values too
      out[s.key] = v;
    }
    return Object.freeze(out);
  } catch (e) {
    throw new UsageError(file ? `${(e as Error).message} (configuration file ${file})` : (e as Error).message);
  }
}
