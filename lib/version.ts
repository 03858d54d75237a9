import { readFileSync } from 'node:fs';

// package.json is one level up from both lib/version.ts and dist/version.js.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const VERSION: string = pkg.version;
