import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from './rng.ts';

describe('Rng', () => {
  it('is reproducible per tuple and differs between tuples, including seeds above 2^32', () => {
    const draw = (...parts: number[]) =>
      Array.from(
        { length: 4 },
        (
          (r) => () =>
            r.next()
        )(Rng.of(...parts)),
      );
    assert.deepEqual(draw(1, 2, 3), draw(1, 2, 3));
    const tuples = [
      [1, 2, 3],
      [1, 2, 4],
      [1, 3, 2],
      [2, 2, 3],
      [2 ** 32 + 1, 2, 3],
      [1, 2],
      [-1, 2, 3],
    ];
    assert.equal(new Set(tuples.map((t) => draw(...t).join())).size, tuples.length);
  });

  it('draws integers uniformly in range and valid permutations', () => {
    const counts = new Array<number>(10).fill(0);
    const rng = Rng.of(42);
    for (let i = 0; i < 50_000; i++) {
      const k = rng.int(10);
      counts[k] = (counts[k] as number) + 1;
    }
    for (const c of counts) assert.ok(Math.abs(c - 5000) < 300, `bucket ${c}`);
    const perm = Rng.of(7).permutation(50);
    assert.deepEqual(
      [...perm].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});
