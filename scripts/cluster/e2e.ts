// Upstream's e2e tests (the kit's e2e-network.test, v1.26.1) against the cluster: one line per
// finished spec as it runs, then the results from ginkgo's JSON report (JUnit beside it).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { kubeBinary } from '../../spec/helpers/control-plane.js';

export const SERVICES_FOCUS = String.raw`\[sig-network\] Services`;
export type SpecState = 'passed' | 'failed' | 'skipped';
export interface SpecResult {
  readonly name: string;
  readonly state: SpecState;
  readonly seconds: number;
  /** why it was skipped, or the first line of its failure */
  readonly reason?: string;
}

/** The spec's full text (container and leaf), as ginkgo's focus matches it. */
interface GinkgoSpec { ContainerHierarchyTexts?: string[] | null; LeafNodeText: string; LeafNodeType: string; State: string; RunTime: number; Failure?: { Message?: string } }

/** The Services specs the focus selected, from a ginkgo JSON report (--ginkgo.json-report). */
export function readReport(file: string, focus: RegExp): SpecResult[] {
  const suites = JSON.parse(readFileSync(file, 'utf8')) as Array<{ SpecReports?: GinkgoSpec[] | null }>;
  const out: SpecResult[] = [];
  for (const s of suites) {
    for (const r of s.SpecReports ?? []) {
      if (r.LeafNodeType !== 'It') continue;
      const name = [...(r.ContainerHierarchyTexts ?? []), r.LeafNodeText].join(' ');
      if (!focus.test(name)) continue;
      const state: SpecState = r.State === 'passed' ? 'passed' : r.State === 'skipped' ? 'skipped' : 'failed';
      const message = r.Failure?.Message?.trim().split('\n').find((l) => l.trim()) ?? (state === 'failed' ? r.State : undefined);
      out.push({ name, state, seconds: Math.round(r.RunTime / 1e8) / 10, ...(message ? { reason: message.trim() } : {}) });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The finished specs in ginkgo's verbose output, as lines "passed  NAME (12.3 s)". After each spec
 * ginkgo prints "• [12.3 seconds]" ("• [SLOW TEST] [...]", "• [FAILED] [...]", "S [SKIPPED] [...]"),
 * then its container and leaf texts, each followed by its file:line, then a blank line; the text
 * where it was skipped or failed is marked ("[It] should ...").
 */
export class SpecLines {
  private pending?: { state: SpecState; seconds: string; texts: string[] };

  constructor(private readonly emit: (line: string) => void) {}

  line(line: string): void {
    const t = line.trim();
    const status = /^([•S]) (?:\[([A-Z ]+)\] )?\[([\d.]+) seconds\]$/.exec(t);
    if (status) {
      const label = status[2] ?? '';
      const state: SpecState = label === 'SKIPPED' ? 'skipped' : !label || label === 'SLOW TEST' ? 'passed' : 'failed';
      this.pending = { state, seconds: status[3]!, texts: [] };
      return;
    }
    if (!this.pending) return;
    if (!t) {
      const name = this.pending.texts.join(' ');
      if (name.startsWith('[sig-network] Services')) this.emit(`${this.pending.state.padEnd(7)} ${name} (${this.pending.seconds} s)`);
      this.pending = undefined;
    } else if (!t.startsWith('/')) {
      // the node where a spec was skipped or failed is marked: "[It] should ...", "[BeforeEach] [sig-network] Services"
      this.pending.texts.push(t.replace(/^\[(?:It|BeforeEach|JustBeforeEach|AfterEach|JustAfterEach)\] /, ''));
    }
  }
}

/** ginkgo's focus for the Services specs, narrowed by the user's regular expression. */
export function focusFor(extra?: string): string {
  return extra ? `${SERVICES_FOCUS}.*(?:${extra})` : SERVICES_FOCUS;
}

/**
 * Run the specs; prints a line per finished spec (from the verbose output) and returns the
 * report's results. Its output goes to e2e.log in reportDir. An abort of signal interrupts them.
 */
export async function runE2e(o: { kubeconfig: string; reportDir: string; focus: string; timeout: string; onSpec?: (line: string) => void; signal?: AbortSignal }): Promise<SpecResult[]> {
  const report = join(o.reportDir, 'e2e-report.json');
  const args = [`--kubeconfig=${o.kubeconfig}`, '--provider=local', `--kubectl-path=${kubeBinary('kubectl')}`, `--report-dir=${o.reportDir}`,
    `--ginkgo.focus=${o.focus}`, '--ginkgo.v', '--ginkgo.no-color', `--ginkgo.timeout=${o.timeout}`, `--ginkgo.json-report=${report}`,
    '--dump-logs-on-failure=false'];
  const log = createWriteStream(join(o.reportDir, 'e2e.log'));
  log.write(`e2e-network.test ${args.join(' ')}\n`);
  const child = spawn(kubeBinary('e2e-network.test'), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: o.reportDir } });
  child.stderr!.pipe(log, { end: false });
  // interrupted: ginkgo stops the spec under way, runs its cleanup and writes its reports
  o.signal?.addEventListener('abort', () => child.kill('SIGTERM'), { once: true });
  const parser = new SpecLines((l) => o.onSpec?.(l));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    log.write(`${line}\n`);
    parser.line(line);
  });
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
  log.end();
  if (!existsSync(report)) throw new Error(`e2e-network.test exited ${code} without a report (log: ${join(o.reportDir, 'e2e.log')})`);
  return readReport(report, new RegExp(o.focus));
}
