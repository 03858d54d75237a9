// GcTime: the collector's pauses, for the sync's log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { GcTime } from '../../../lib/runner/gc-time.js';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

test('gc time: a full collection is counted once its entry arrives; none after stop', async () => {
  const gc = new GcTime();
  assert.equal(gc.ms, 0);
  // something for the collector to do
  let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i }));
  garbage = undefined;
  collect();
  await sleep(20);
  const counted = gc.ms;
  assert.ok(counted > 0, `${counted} ms counted`);
  gc.stop();
  collect();
  await sleep(20);
  assert.equal(gc.ms, counted);
  void garbage;
});
