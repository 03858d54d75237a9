// The proxy's major collections, from V8's --trace-gc lines (the bench runs the proxy with it):
// each Mark-Compact's time since the process started, with its marking before it. At 30,000
// Services the old generation is ~150 MB, and marking it runs on V8's worker threads for about a
// second beside the proxy's main thread; the bench says which slow changes fell in one.

export interface MajorGc { fromMs: number; toMs: number }

// "[346:0x118d3000]   503988 ms: Mark-Compact 152.2 (159.4) -> 121.1 (148.6) MB, pooled: 13 MB,
// 55.23 / 0.03 ms  (+ 649.3 ms in 111 steps since start of marking, ..., walltime since start of marking 1174 ms) ..."
const LINE = /\s(\d+(?:\.\d+)?) ms: Mark-Compact .*?MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms(?:.*walltime since start of marking (\d+) ms)?/;

/** The windows [marking started, pause ended] of the major collections traced in these lines. */
export function majorGcs(lines: readonly string[]): MajorGc[] {
  const out: MajorGc[] = [];
  for (const l of lines) {
    const m = LINE.exec(l);
    if (!m) continue;
    const at = Number(m[1]);
    out.push({ fromMs: at - Number(m[3] ?? 0), toMs: at + Number(m[2]) });
  }
  return out;
}

/** Whether [fromMs, toMs] overlaps one of the collections' windows. */
export const inMajorGc = (gcs: readonly MajorGc[], fromMs: number, toMs: number): boolean => gcs.some((g) => g.fromMs <= toMs && fromMs <= g.toMs);
