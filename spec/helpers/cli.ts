// Running the CLI in-process and capturing what it prints.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../lib/cli/main.js';
import { tempDir } from './temp-dir.js';

export async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await main(argv, { stdout, stderr, env });
  return { code, out, err };
}

export function configFile(name: string, text: string): string {
  const dir = tempDir('ipvs-proxy-cli-');
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
