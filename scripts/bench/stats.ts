// Percentiles for the benchmark's samples.

/**
 * The q-th quantile (0 < q <= 1) by the nearest-rank method: the smallest sample with at least
 * q of all samples at or below it. The p99 of 100 samples is the 99th smallest, not the largest.
 */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}
