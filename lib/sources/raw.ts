// Reading Kubernetes objects that arrive as untyped JSON (API watch events, files). Every accessor
// checks the type it returns and throws Malformed naming the field, so a bad object is reported
// precisely and skipped instead of crashing the proxy.

export class Malformed extends Error {}

export type Raw = Readonly<Record<string, unknown>>;

export function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function record(v: unknown, path: string): Raw {
  if (!isRecord(v)) throw new Malformed(`${path}: expected an object`);
  return v;
}

export function optRecord(v: unknown, path: string): Raw {
  return v === undefined || v === null ? {} : record(v, path);
}

export function optString(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Malformed(`${path}: expected a string`);
  return v;
}

export function str(v: unknown, path: string): string {
  const s = optString(v, path);
  if (s === undefined || s === '') throw new Malformed(`${path}: missing`);
  return s;
}

export function optBool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new Malformed(`${path}: expected true or false`);
  return v;
}

export function optInt(v: unknown, path: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Malformed(`${path}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function list(v: unknown, path: string): readonly unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Malformed(`${path}: expected a list`);
  return v;
}

/** String map such as labels or annotations; non-string values are malformed. */
export function stringMap(v: unknown, path: string): Readonly<Record<string, string>> {
  const r = optRecord(v, path);
  for (const [k, val] of Object.entries(r)) if (typeof val !== 'string') throw new Malformed(`${path}.${k}: expected a string`);
  return r as Readonly<Record<string, string>>;
}

/** namespace/name of an object for reports, as far as it can be read. */
export function objectName(obj: unknown): { namespace: string; name: string } {
  const meta = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : {};
  const s = (v: unknown, d: string) => (typeof v === 'string' && v !== '' ? v : d);
  return { namespace: s(meta.namespace, 'default'), name: s(meta.name, '(unnamed)') };
}
