// Temporary folders for tests, removed when the test file's process exits (node:test runs each
// file in a process of its own), so a suite leaves nothing in /tmp whether a test passed or not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.once('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** A new folder under the system's temporary folder, named PREFIX and random letters. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
