import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDataSource } from './index.ts';
import { bfs, MazeToken } from './maze.ts';
import { Seq2SeqToken } from './seq2seq-tasks.ts';
import { addDigits, SeqToken } from './sequence-tasks.ts';
import type { DataSpec } from './spec.ts';
import { countSolutions, isSolvedGrid } from './sudoku.ts';
import { IGNORE, type Batch } from './types.ts';

const rows = (b: Batch): Int32Array[] =>
  Array.from({ length: b.batch }, (_, r) => b.inputs.subarray(r * b.length, (r + 1) * b.length));
const targetRows = (b: Batch): Int32Array[] =>
  Array.from({ length: b.batch }, (_, r) => b.targets.subarray(r * b.length, (r + 1) * b.length));
const key = (row: Int32Array): string => row.join(',');

const SMALL: DataSpec[] = [
  { type: 'sudoku', size: 4, pool: 200, validationSize: 100 },
  { type: 'sudoku', size: 9, pool: 20, validationSize: 20 },
  { type: 'maze', size: 9, validationSize: 50 },
  { type: 'copy', length: 5, validationSize: 50 },
  { type: 'reverse', length: 5, validationSize: 50 },
  { type: 'sort', length: 5, validationSize: 50 },
  { type: 'addition', digits: 2, validationSize: 50 },
  { type: 'seq2seq', length: 5, minLength: 3, validationSize: 50 },
];

describe('cells sources', () => {
  for (const spec of SMALL) {
    it(`${spec.type}: deterministic in (seed, index), different across seeds and indices`, async () => {
      const a = await createDataSource(spec, 1);
      const b = await createDataSource(spec, 1);
      const c = await createDataSource(spec, 2);
      assert.equal(a.kind, 'cells');
      assert.ok(a.exactMatch);
      const batch = a.trainBatch(3, 16);
      assert.equal(batch.inputs.length, 16 * a.length);
      assert.deepEqual(batch, b.trainBatch(3, 16));
      assert.deepEqual(a.validation(10), b.validation(10));
      assert.notDeepEqual(batch.inputs, c.trainBatch(3, 16).inputs);
      assert.notDeepEqual(batch.inputs, a.trainBatch(4, 16).inputs);
      // Rows do not depend on the batch size: row r of batch i is the same in a larger batch.
      assert.deepEqual(a.trainBatch(3, 4).inputs, batch.inputs.subarray(0, 4 * a.length));
      for (const ids of [batch.inputs, batch.targets]) {
        assert.ok(ids.every((id) => id === IGNORE || (id >= 0 && id < a.vocabSize)));
      }
    });

    it(`${spec.type}: training never yields a held-out example`, async () => {
      const source = await createDataSource(spec, 5);
      const held = new Set(rows(source.validation(1000)).map(key));
      for (let i = 0; i < 20; i++) {
        for (const row of rows(source.trainBatch(i, 32))) assert.ok(!held.has(key(row)));
      }
    });
  }

  it('grid puzzles have open cells to score; sequence tasks, which ask only blanks, do not', async () => {
    for (const spec of SMALL) {
      const source = await createDataSource(spec, 1);
      const grid = spec.type === 'sudoku' || spec.type === 'maze';
      assert.equal(source.openCells === true, grid, spec.type);
    }
  });

  it('validation returns at most validationSize distinct examples', async () => {
    const source = await createDataSource(
      { type: 'sudoku', size: 4, pool: 50, validationSize: 30 },
      1,
    );
    const val = source.validation(100);
    assert.equal(val.batch, 30);
    assert.equal(new Set(rows(val).map(key)).size, 30);
  });

  it('sudoku: TRM encoding, targets are the unique solution of the input', async () => {
    for (const size of [4, 9] as const) {
      const source = await createDataSource(
        { type: 'sudoku', size, pool: 10, validationSize: 10 },
        3,
      );
      assert.equal(source.vocabSize, size + 2);
      const box = size === 4 ? 2 : 3;
      for (const batch of [source.trainBatch(0, 8), source.validation(10)]) {
        const targets = targetRows(batch);
        rows(batch).forEach((input, r) => {
          const target = targets[r] as Int32Array;
          const puzzle = Array.from(input, (t) => (t === 1 ? 0 : t - 1));
          const solution = Array.from(target, (t) => t - 1);
          assert.ok(input.every((t, i) => t === 1 || t === target[i]));
          assert.ok(isSolvedGrid(solution, box));
          assert.equal(countSolutions(puzzle, box), 1);
        });
      }
    }
    const source = await createDataSource(
      { type: 'sudoku', size: 4, pool: 1, validationSize: 1 },
      3,
    );
    assert.match(source.decode(source.validation(1).targets), /^[1-4]{4}(\n[1-4]{4}){3}$/);
  });

  it('maze: the marked path is a shortest start→goal path', async () => {
    const source = await createDataSource(
      { type: 'maze', size: 15, loops: 0.2, validationSize: 30 },
      4,
    );
    const size = 15;
    for (const batch of [source.trainBatch(0, 30), source.validation(30)]) {
      const targets = targetRows(batch);
      rows(batch).forEach((input, r) => {
        const target = targets[r] as Int32Array;
        const start = input.indexOf(MazeToken.start);
        const goal = input.indexOf(MazeToken.goal);
        assert.ok(start >= 0 && goal >= 0);
        assert.ok(!input.includes(MazeToken.path));
        // Target = input with path marks on open cells only.
        target.forEach((t, i) =>
          assert.ok(t === input[i] || (t === MazeToken.path && input[i] === MazeToken.open)),
        );
        const { dist, ways } = bfs(input, size, start);
        const pathCells = target.filter((t) => t === MazeToken.path).length;
        assert.equal(pathCells + 1, dist[goal], 'path length = BFS distance');
        assert.ok((dist[goal] as number) >= size);
        // Walking only on path cells reaches the goal: the marks form a connected S→G path.
        const onPath = Int32Array.from(target, (t) =>
          t === MazeToken.wall || t === MazeToken.open ? MazeToken.wall : t,
        );
        assert.equal(bfs(onPath, size, start).dist[goal], dist[goal]);
        if (ways[goal] === 1) assert.equal(bfs(onPath, size, start).ways[goal], 1);
      });
    }
  });

  it('sequence tasks: answers at the blanks, IGNORE elsewhere', async () => {
    const digitsOf = (ids: ArrayLike<number>): number[] =>
      Array.from(ids, (t) => t - SeqToken.digit0);
    for (const type of ['copy', 'reverse', 'sort'] as const) {
      const source = await createDataSource({ type, length: 6, validationSize: 10 }, 1);
      assert.equal(source.length, 13);
      const batch = source.trainBatch(0, 10);
      const targets = targetRows(batch);
      rows(batch).forEach((input, r) => {
        const target = targets[r] as Int32Array;
        const question = digitsOf(input.subarray(0, 6));
        assert.equal(input[6], SeqToken.equals);
        assert.ok(input.subarray(7).every((t) => t === SeqToken.blank));
        assert.ok(target.subarray(0, 7).every((t) => t === IGNORE));
        const expected =
          type === 'copy'
            ? question
            : type === 'reverse'
              ? [...question].reverse()
              : [...question].sort((a, b) => a - b);
        assert.deepEqual(digitsOf(target.subarray(7)), expected);
      });
    }
    const source = await createDataSource({ type: 'addition', digits: 4, validationSize: 10 }, 1);
    const batch = source.validation(10);
    const targets = targetRows(batch);
    rows(batch).forEach((input, r) => {
      const text = source.decode(input);
      const [, a, b] = /^(\d{4})\+(\d{4})=_{5}$/.exec(text) ?? [];
      assert.ok(a && b, text);
      const sum = String(Number(a) + Number(b)).padStart(5, '0');
      assert.equal(source.decode(targets[r] as Int32Array).trim(), sum);
    });
  });

  it('seq2seq: source padded to n, "=", the target as decoder inputs; targets shifted by one, then "."', async () => {
    const digits = (ids: ArrayLike<number>): number[] =>
      Array.from(ids, (t) => t - Seq2SeqToken.digit0);
    for (const task of ['copy', 'reverse', 'sort'] as const) {
      const source = await createDataSource({ type: 'seq2seq', task, length: 6, minLength: 2 }, 1);
      assert.equal(source.length, 13);
      const batch = source.trainBatch(0, 32);
      const targets = targetRows(batch);
      const lengths = new Set<number>();
      rows(batch).forEach((input, r) => {
        const target = targets[r] as Int32Array;
        const k = input.subarray(0, 6).findIndex((t) => t === Seq2SeqToken.pad);
        const n = k < 0 ? 6 : k;
        lengths.add(n);
        assert.ok(n >= 2, `source of ${n}`);
        assert.ok(input.subarray(n, 6).every((t) => t === Seq2SeqToken.pad));
        const items = digits(input.subarray(0, n));
        const answer =
          task === 'copy'
            ? items
            : task === 'reverse'
              ? [...items].reverse()
              : [...items].sort((a, b) => a - b);
        assert.equal(input[6], Seq2SeqToken.start);
        assert.deepEqual(digits(input.subarray(7, 7 + n)), answer);
        assert.ok(input.subarray(7 + n).every((t) => t === Seq2SeqToken.pad));
        assert.ok(target.subarray(0, 6).every((t) => t === IGNORE));
        assert.deepEqual(digits(target.subarray(6, 6 + n)), answer);
        assert.equal(target[6 + n], Seq2SeqToken.end);
        assert.ok(target.subarray(7 + n).every((t) => t === IGNORE));
      });
      assert.ok(lengths.size > 1, 'sources of several lengths');
    }
    await assert.rejects(
      createDataSource({ type: 'seq2seq', length: 4, minLength: 5 }, 1),
      /minLength: the shortest source \(5\) is longer than the longest \(length 4\)/,
    );
  });

  it('addDigits matches BigInt addition on long operands', () => {
    const a = '98765432109876543210'.split('').map(Number);
    const b = '12345678901234567890'.split('').map(Number);
    const expected = (98765432109876543210n + 12345678901234567890n).toString().padStart(21, '0');
    assert.equal(addDigits(a, b).join(''), expected);
  });

  it('rejects invalid specs with a sentence naming the field', async () => {
    await assert.rejects(
      createDataSource({ type: 'sudoku', size: 5 } as unknown as DataSpec, 1),
      /size.*4\|9/,
    );
    await assert.rejects(
      createDataSource({ type: 'copy', lenght: 3 } as unknown as DataSpec, 1),
      /lenght/,
    );
    await assert.rejects(
      createDataSource({ type: 'text', path: 'x.txt', tokenizerFile: 't.json' }, 1),
      /tokenizerFile: only BPE/,
    );
    await assert.rejects(createDataSource({ type: 'puzzle' } as unknown as DataSpec, 1), /type/);
    await assert.rejects(
      createDataSource({ type: 'copy', length: 1, symbols: 2, validationSize: 5 }, 1),
      /only 2 distinct/,
    );
  });
});
