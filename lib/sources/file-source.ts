// Services, EndpointSlices and this node's Node object from a file, re-read when it changes
// (watched, with a slow stat poll as a safety net for file systems where watching misses events).
// A file that fails to parse keeps the last good objects programmed: a half-written file must
// not flush working Services.
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../log.js';
import type { Snapshot } from '../model/objects.js';
import { ObjectsFileError, readObjectsFile } from './objects-file.js';
import { readSnapshot } from './read-objects.js';
import { findNode } from './read-node.js';
import type { Change, NodeInfo, Source } from './source.js';

const POLL_MS = 1000;
const DEBOUNCE_MS = 20;

export class FileSource implements Source {
  private current: Snapshot = { services: [], endpointSlices: [] };
  /** this node's Node object in the file, if there is one */
  private nodeInfo: NodeInfo | undefined;
  private loaded = false;
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastStamp = '';
  private onChange: (c: readonly Change[]) => void = () => undefined;

  constructor(private readonly path: string, private readonly log: Logger, private readonly nodeName = '') {}

  async start(onChange: (changes: readonly Change[]) => void): Promise<void> {
    this.onChange = onChange;
    await this.reload();
    this.watcher = watch(dirname(this.path), (_event, name) => {
      if (name === null || name === basename(this.path)) this.schedule();
    });
    this.watcher.on('error', (e) => this.log.warn({ err: e.message, file: this.path }, 'watching the objects file failed; polling it'));
    this.poll = setInterval(() => this.schedule(), POLL_MS);
  }

  synced(): boolean { return this.loaded; }
  snapshot(): Snapshot { return this.current; }
  node(): NodeInfo | undefined { return this.nodeInfo; }

  async stop(): Promise<void> {
    this.watcher?.close();
    clearInterval(this.poll);
    clearTimeout(this.debounce);
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), DEBOUNCE_MS);
  }

  private async reload(): Promise<void> {
    let stamp: string;
    try {
      const s = await stat(this.path);
      stamp = `${s.mtimeMs}/${s.size}/${s.ino}`;
    } catch (e) {
      this.log.error({ file: this.path, err: (e as Error).message }, 'cannot read the objects file; keeping the last objects');
      return;
    }
    if (stamp === this.lastStamp) return;
    this.lastStamp = stamp;
    const at = Date.now();
    try {
      const file = await readObjectsFile(this.path);
      this.current = readSnapshot(file);
      this.nodeInfo = findNode(file.nodes, this.nodeName);
      this.loaded = true;
      this.log.info({ file: this.path, services: file.services.length, endpointSlices: file.endpointSlices.length }, 'objects file read');
      this.onChange([{ kind: 'service', at }, { kind: 'endpointSlice', at }, { kind: 'node', at }]);
    } catch (e) {
      if (!(e instanceof ObjectsFileError)) throw e;
      this.log.error({ file: this.path, err: e.message }, 'objects file not usable; keeping the last objects');
    }
  }
}
