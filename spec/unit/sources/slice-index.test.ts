// The index of EndpointSlices by the Service they name, through adds, moves, updates and deletes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SliceIndex } from '../../../lib/sources/slice-index.js';

test('slice index: slices are found under the Service they name, moved slices name both Services, deleted ones leave', () => {
  const ix = new SliceIndex<string>();
  assert.deepEqual(ix.set('ns/a-1', 'ns/a', 'a1'), ['ns/a']);
  assert.deepEqual(ix.set('ns/a-2', 'ns/a', 'a2'), ['ns/a']);
  assert.deepEqual(ix.set('ns/a-1', 'ns/a', 'a1 v2'), ['ns/a']);
  assert.deepEqual(ix.of('ns/a').sort(), ['a1 v2', 'a2']);
  assert.deepEqual(ix.set('ns/a-2', 'ns/b', 'a2 moved'), ['ns/a', 'ns/b']);
  assert.deepEqual(ix.of('ns/a'), ['a1 v2']);
  assert.deepEqual(ix.of('ns/b'), ['a2 moved']);
  assert.deepEqual(ix.set('ns/a-1', undefined, 'a1 v2'), ['ns/a']);
  assert.deepEqual(ix.of('ns/a'), []);
  assert.deepEqual(ix.set('ns/a-1', undefined, 'a1 v2'), [], 'deleting an unknown slice names no Service');
  assert.deepEqual(ix.of('ns/none'), []);
});

test('slice index: any sequence of sets and deletes gives the slices a plain map of maps gives', () => {
  const op = fc.record({ slice: fc.integer({ min: 0, max: 5 }), owner: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), v: fc.nat(99) });
  fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
    const ix = new SliceIndex<number>();
    const model = new Map<string, number>(); // slice -> owner
    const value = new Map<string, number>();
    for (const o of ops) {
      const key = `s${o.slice}`;
      const owner = o.owner === undefined ? undefined : `o${o.owner}`;
      const was = model.has(key) ? `o${model.get(key)}` : undefined;
      const expect = owner === undefined ? (was ? [was] : []) : was && was !== owner ? [was, owner] : [owner];
      assert.deepEqual(ix.set(key, owner, o.v), expect);
      if (owner === undefined) { model.delete(key); value.delete(key); } else { model.set(key, o.owner!); value.set(key, o.v); }
      for (let w = 0; w < 3; w++) {
        const want = [...model].filter(([, ow]) => ow === w).map(([k]) => value.get(k)!).sort();
        assert.deepEqual(ix.of(`o${w}`).sort(), want);
      }
    }
  }));
});
