// Services, EndpointSlices (and Nodes) from a YAML or JSON file, as `kubectl get -o yaml` writes them:
// one object, a `kind: List` (or ServiceList, EndpointSliceList), or several `---` documents.
// Used by `plan`, by `run --objects`, by the tests and the demo.
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { isRecord } from './raw.js';
import type { RawObjects } from './read-objects.js';

export class ObjectsFileError extends Error {}

export interface ObjectsFile extends RawObjects {
  /** Node objects (the proxy reads its own: labels, pod CIDRs, deletion) */
  readonly nodes: readonly unknown[];
  /** objects of other kinds, ignored: "Kind namespace/name" */
  readonly ignored: readonly string[];
}

export async function readObjectsFile(path: string): Promise<ObjectsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ObjectsFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseObjects(text, path);
}

export function parseObjects(text: string, source = 'input'): ObjectsFile {
  const services: unknown[] = [];
  const endpointSlices: unknown[] = [];
  const nodes: unknown[] = [];
  const ignored: string[] = [];
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(docs)) throw new ObjectsFileError(`${source}: not a YAML stream`);
  docs.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) {
      const at = err.linePos?.[0];
      throw new ObjectsFileError(`${source}${at ? `:${at.line}:${at.col}` : ''}: ${err.message.split('\n')[0]}`);
    }
    collect(doc.toJS({ maxAliasCount: 100 }) as unknown, `${source}: document ${i + 1}`);
  });
  return { services, endpointSlices, nodes, ignored };

  function collect(obj: unknown, where: string): void {
    if (obj === null || obj === undefined) return; // an empty document
    if (!isRecord(obj)) throw new ObjectsFileError(`${where}: expected a Kubernetes object, got ${Array.isArray(obj) ? 'a list' : typeof obj}`);
    const kind = obj.kind;
    if (kind === 'Service') services.push(obj);
    else if (kind === 'EndpointSlice') endpointSlices.push(obj);
    else if (kind === 'Node') nodes.push(obj);
    else if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(obj.items)) {
      // Typed lists (ServiceList) omit kind on their items.
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      obj.items.forEach((item, j) => collect(itemKind && isRecord(item) && item.kind === undefined ? { kind: itemKind, ...item } : item, `${where}, item ${j + 1}`));
    } else {
      const meta = isRecord(obj.metadata) ? obj.metadata : {};
      ignored.push(`${typeof kind === 'string' ? kind : '(no kind)'} ${String(meta.namespace ?? 'default')}/${String(meta.name ?? '(unnamed)')}`);
    }
  }
}
