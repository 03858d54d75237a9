// Two `npm run conformance` runs side by side, as docs/conformance.md shows them: a Markdown table
// of every test with each proxy's result, then the tests that either one did not pass, with the
// reason the run gave. Usage: node --import tsx scripts/cluster/compare.ts KUBE_PROXY_RUN IPVS_PROXY_RUN
// (each a run's folder or its results.json).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpecResult } from './e2e.js';

interface Run { proxy: string; minutes: number; failure?: string; results: SpecResult[] }

function load(path: string): Run {
  const file = existsSync(join(path, 'results.json')) ? join(path, 'results.json') : path;
  return JSON.parse(readFileSync(file, 'utf8')) as Run;
}

export function compare(a: Run, b: Run): string {
  const names = [...new Set([...a.results, ...b.results].map((r) => r.name))].sort();
  const of = (run: Run, name: string) => run.results.find((r) => r.name === name);
  const short = (name: string) => name.replace(/^\[sig-network\] Services /, '');
  const count = (run: Run) => ['passed', 'failed', 'skipped'].map((s) => `${run.results.filter((r) => r.state === s).length} ${s}`).join(', ');
  const lines = [
    `| test | ${a.proxy} | ${b.proxy} |`, '|---|---|---|',
    ...names.map((n) => `| ${short(n).replace(/\|/g, '\\|')} | ${of(a, n)?.state ?? '—'} | ${of(b, n)?.state ?? '—'} |`),
    `| **total** (run time) | ${count(a)} (${a.minutes} min) | ${count(b)} (${b.minutes} min) |`,
    '',
  ];
  const notPassed = names.filter((n) => of(a, n)?.state !== 'passed' || of(b, n)?.state !== 'passed');
  if (notPassed.length) {
    lines.push('Not passed by one or both, with the reason each run gave:', '');
    for (const n of notPassed) {
      lines.push(`- **${short(n)}**`);
      for (const run of [a, b]) {
        const r = of(run, n);
        if (r && r.state !== 'passed') lines.push(`  - ${run.proxy}: ${r.state}: ${r.reason ?? ''}`);
      }
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) { console.error('usage: compare.ts KUBE_PROXY_RUN IPVS_PROXY_RUN'); process.exit(2); }
  console.log(compare(load(a), load(b)));
}
