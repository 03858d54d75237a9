import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile } from '../../../scripts/bench/stats.js';

test('bench percentiles: nearest rank, so the p99 of 100 samples is the 99th smallest and one outlier is the maximum only', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 .. 1, unsorted
  assert.equal(percentile(xs, 0.99), 99);
  assert.equal(percentile(xs, 0.5), 50);
  assert.equal(percentile(xs, 1), 100);
  assert.equal(percentile([7, 3], 0.5), 3);
  assert.equal(percentile([7, 3], 0.99), 7);
  assert.equal(percentile([5], 0.01), 5);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});
