// Effective settings: defaults < config file < environment < flags, through convict.
import { readFileSync } from 'node:fs';
import convict from 'convict';
import YAML from 'yaml';
import { checkOptionValue, parseOptionValue, type AnyOption, type OptionType, type OptionValue, type SettingsOf } from './options.js';
import { UsageError } from './args.js';
import { parseDuration } from './duration.js';
import { isKubeProxyConfiguration, translateKubeProxyConfig } from './kube-proxy-config.js';

interface LooseConfig {
  load(values: object): void;
  set(key: string, value: unknown): void;
  get(key: string): unknown;
  validate(opts: { allowed: 'strict' | 'warn' }): void;
}

// One convict format per option type: coerce turns environment strings into typed values
// (convict's own Boolean coercion reads "0" as true), validate checks file values.
const TYPE_CHECKS: Readonly<Record<OptionType, (v: unknown) => boolean>> = {
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  integer: (v) => Number.isInteger(v),
  duration: (v) => typeof v === 'number' && v >= 0,
  list: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
};
const COERCE_SPECS: { readonly [T in OptionType]: AnyOption } = {
  string: { key: 'string', flag: 'string', doc: '', type: 'string', default: '' },
  boolean: { key: 'boolean', flag: 'boolean', doc: '', type: 'boolean', default: false },
  integer: { key: 'integer', flag: 'integer', doc: '', type: 'integer', default: 0 },
  duration: { key: 'duration', flag: 'duration', doc: '', type: 'duration', default: 0 },
  list: { key: 'list', flag: 'list', doc: '', type: 'list', default: [] },
};
for (const type of Object.keys(TYPE_CHECKS) as OptionType[]) {
  convict.addFormat({
    name: `ipvs-proxy-${type}`,
    coerce: (v: unknown) => (typeof v === 'string' ? parseOptionValue(COERCE_SPECS[type], v) : v),
    validate: (v: unknown) => {
      if (!TYPE_CHECKS[type](v)) throw new Error(`must be a ${type}`);
    },
  });
}

export interface LoadedSettings<S extends readonly AnyOption[]> {
  readonly settings: SettingsOf<S>;
  /** fields of the configuration file that were ignored, to be logged */
  readonly warnings: readonly string[];
}

/** The settings of these specs, each value parsed and checked against its own spec. */
export function loadSettings<const S extends readonly AnyOption[]>(
  specs: S,
  flags: ReadonlyMap<string, string | boolean | string[]>,
  env: NodeJS.ProcessEnv,
  /** keys of every command: the file may hold those of other commands */
  knownKeys: ReadonlySet<string> = new Set(specs.map((s) => s.key)),
): LoadedSettings<S> {
  const schema: Record<string, convict.SchemaObj> = {};
  for (const s of specs) {
    schema[s.key] = { doc: s.doc, format: `ipvs-proxy-${s.type}`, default: s.default as never, ...(s.env ? { env: s.env } : {}) };
  }
  const bySpec = new Map(specs.map((s) => [s.key, s]));
  const file = (flags.get('config') as string | undefined) ?? env.IPVS_PROXY_CONFIG;
  let warnings: string[] = [];
  try {
    // convict's typed paths do not help with a schema built at run time.
    const conf = convict(schema, { env, args: [] }) as unknown as LooseConfig;
    if (file) {
      const loaded = readConfigFile(file, bySpec, knownKeys);
      warnings = loaded.warnings;
      conf.load(loaded.values);
    }
    for (const [key, raw] of flags) conf.set(key, parseOptionValue(bySpec.get(key)!, raw));
    conf.validate({ allowed: 'strict' });
    const out: Record<string, OptionValue> = {};
    for (const s of specs) {
      const v = conf.get(s.key) as OptionValue; // convict checked it with the spec type's format
      if (!flags.has(s.key)) checkOptionValue(s, v); // choices and checks, for file and env values too
      out[s.key] = v;
    }
    // The one place settings get their types: every value was checked against its own spec above.
    return { settings: Object.freeze(out) as SettingsOf<S>, warnings };
  } catch (e) {
    throw new UsageError(file ? `${(e as Error).message} (configuration file ${file})` : (e as Error).message);
  }
}

/**
 * The configuration file as typed values for this command's options: ipvs-proxy's own format
 * (keys as in `show-config`; durations like "30s") or a kube-proxy KubeProxyConfiguration.
 * Keys of other commands are left out; unknown keys are errors.
 */
function readConfigFile(file: string, bySpec: ReadonlyMap<string, AnyOption>, knownKeys: ReadonlySet<string>): { values: Record<string, unknown>; warnings: string[] } {
  const text = readFileSync(file, 'utf8'); // the OS error (ENOENT, EACCES) as is
  let doc: unknown;
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new Error(`not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  return readConfigDocument(doc, bySpec, knownKeys);
}

/**
 * A configuration document, parsed, as typed values for these options (see readConfigFile);
 * throws naming the field of the first invalid value. Also checks a kube-proxy ConfigMap's
 * config.conf before a migration.
 */
export function readConfigDocument(doc: unknown, bySpec: ReadonlyMap<string, AnyOption>, knownKeys: ReadonlySet<string>): { values: Record<string, unknown>; warnings: string[] } {
  if (doc === null || doc === undefined) return { values: {}, warnings: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected a mapping of settings');
  let raw = doc as Record<string, unknown>;
  let warnings: string[] = [];
  const from: Record<string, string> = {};
  if (isKubeProxyConfiguration(doc)) {
    const t = translateKubeProxyConfig(raw);
    warnings = t.warnings;
    raw = {};
    for (const [k, v] of Object.entries(t.values)) {
      if (k.endsWith('@')) from[k.slice(0, -1)] = v as string;
      else raw[k] = v;
    }
  }
  const values: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(raw)) {
    const spec = bySpec.get(key);
    const path = from[key] ?? key;
    if (!spec) {
      if (knownKeys.has(key)) continue; // another command's setting
      throw new Error(`${path}: unknown setting`);
    }
    if (key === 'config') throw new Error('config: a configuration file cannot name another');
    let typed: unknown;
    try {
      typed = spec.type === 'duration' && typeof v === 'string' ? parseDuration(v) : parseOptionValue(spec, v as never);
      checkOptionValue(spec, typed);
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message.replace(/^--[\w-]+: /, '')}`);
    }
    // kube-proxy writes 0s for "use the default" sync periods.
    if (from[key] && spec.type === 'duration' && typed === 0 && (key === 'syncPeriod' || key === 'minSyncPeriod')) continue;
    values[key] = typed;
  }
  return { values, warnings };
}
