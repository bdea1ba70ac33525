import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DataError } from './errors.ts';
import { createDataSource } from './index.ts';
import { generateMaze, MAZE_VOCAB, MazeToken } from './maze.ts';
import { pathConnects } from './maze-csv.ts';
import { splitRows } from './puzzle-rows.ts';
import { Rng } from './rng.ts';
import type { DataSpec } from './spec.ts';
import { sudokuConflict } from './sudoku-csv.ts';
import { generateSudoku } from './sudoku.ts';
import type { Batch } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'trm-puzzle-csv-'));
let files = 0;
/** Writes `lines` (header first) to a fresh CSV file and returns its path. */
function csv(lines: string[]): string {
  const path = join(dir, `p${files++}.csv`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}
const HEADER = 'source,question,answer,rating';

/** `count` unique-solution Sudoku rows of box side `box`, blanks written as `blank`. */
function sudokuRows(count: number, box: number, blank = '.'): string[] {
  return Array.from({ length: count }, (_, i) => {
    const { puzzle, solution } = generateSudoku(box, Rng.of(77, box, i));
    const q = Array.from(puzzle, (v) => (v === 0 ? blank : String(v))).join('');
    return `gen${i},${q},${solution.join('')},${i % 5}`;
  });
}

function mazeRows(count: number, size: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const maze = generateMaze(size, Rng.of(88, i), size, 0.05);
    const text = (grid: Uint8Array) => Array.from(grid, (t) => MAZE_VOCAB[t]).join('');
    return `gen${i},${text(maze.input)},${text(maze.target)},0`;
  });
}

const rowsOf = (b: Batch, which: 'inputs' | 'targets') =>
  Array.from({ length: b.batch }, (_, r) => b[which].subarray(r * b.length, (r + 1) * b.length));

/** Loading `path` fails with a DataError matching `message`. */
async function refuses(spec: DataSpec, message: RegExp): Promise<void> {
  await assert.rejects(createDataSource(spec, 1), (error: unknown) => {
    assert.ok(error instanceof DataError, String(error));
    assert.match(error.message, message);
    return true;
  });
}

describe('Sudoku-Extreme CSV', () => {
  const file4 = csv([HEADER, ...sudokuRows(40, 2)]);

  it('reads a 4×4 file with the generated Sudoku encoding and decodes it back', async () => {
    const source = await createDataSource(
      { type: 'sudoku-csv', path: file4, validationSize: 8, augment: false },
      1,
    );
    assert.equal(source.kind, 'cells');
    assert.equal(source.vocabSize, 6);
    assert.equal(source.length, 16);
    assert.deepEqual(source.describe().vocab, ['<pad>', '.', '1', '2', '3', '4']);
    const held = source.validation(100);
    assert.equal(held.batch, 8);
    const lines = sudokuRows(40, 2);
    const questions = new Set(lines.map((l) => l.split(',')[1]));
    const answers = new Set(lines.map((l) => l.split(',')[2]));
    for (const [i, input] of rowsOf(held, 'inputs').entries()) {
      assert.ok(questions.has(source.decode(input).replace(/\n/g, '')));
      const target = rowsOf(held, 'targets')[i]!;
      assert.ok(answers.has(source.decode(target).replace(/\n/g, '')));
    }
  });

  it('infers 9×9 from 81 characters and takes 0 for blanks', async () => {
    const source = await createDataSource(
      { type: 'sudoku-csv', path: csv([HEADER, ...sudokuRows(6, 3, '0')]), validationSize: 2 },
      1,
    );
    assert.equal(source.vocabSize, 11);
    assert.equal(source.length, 81);
    const held = source.validation(2);
    assert.ok(held.inputs.includes(1), 'blanks are token 1');
    assert.ok(!held.inputs.includes(0), 'no PAD in a full grid');
  });

  it('augmented training rows are valid solutions that keep their clues; held-out rows never train', async () => {
    const file9 = csv([HEADER, ...sudokuRows(12, 3)]);
    for (const [path, box] of [
      [file4, 2],
      [file9, 3],
    ] as const) {
      const source = await createDataSource({ type: 'sudoku-csv', path, validationSize: 3 }, 5);
      const heldKeys = new Set(rowsOf(source.validation(3), 'inputs').map((r) => r.join()));
      let changed = 0;
      for (let index = 0; index < 8; index++) {
        const batch = source.trainBatch(index, 16);
        const targets = rowsOf(batch, 'targets');
        for (const [r, input] of rowsOf(batch, 'inputs').entries()) {
          const target = targets[r]!;
          const digits = Array.from(target, (t) => t - 1);
          assert.equal(sudokuConflict(digits, box), null);
          assert.ok(digits.every((d) => d >= 1 && d <= box * box));
          input.forEach((t, i) => assert.ok(t === 1 || t === target[i], `clue ${i} kept`));
          assert.ok(!heldKeys.has(input.join()));
          if (!new Set(sudokuRows(40, box).map((l) => l.split(',')[2])).has(digits.join('')))
            changed++;
        }
      }
      assert.ok(changed > 100, 'augmentation changes the solutions');
    }
  });

  it('the held-out split is fixed by the seed and disjoint from training', async () => {
    const spec = { type: 'sudoku-csv', path: file4, validationSize: 8, augment: false } as const;
    const a = await createDataSource(spec, 3);
    const b = await createDataSource(spec, 3);
    const c = await createDataSource(spec, 4);
    assert.deepEqual(a.validation(8), b.validation(8));
    assert.notDeepEqual(a.validation(8).inputs, c.validation(8).inputs);
    assert.deepEqual(a.trainBatch(2, 8), b.trainBatch(2, 8));
    const held = new Set(rowsOf(a.validation(8), 'inputs').map((r) => r.join()));
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      for (const row of rowsOf(a.trainBatch(i, 16), 'inputs')) {
        assert.ok(!held.has(row.join()));
        seen.add(row.join());
      }
    }
    assert.equal(seen.size, 32, 'every training row is drawn, and only those');

    const split = splitRows(1000, 100, 9);
    assert.deepEqual(split, splitRows(1000, 100, 9));
    assert.equal(new Set([...split.heldOut, ...split.train]).size, 1000);
    assert.equal(split.heldOut.length, 100);
  });

  it('limit reads only the first rows (a bad row after them is never read)', async () => {
    const path = csv([HEADER, ...sudokuRows(10, 2), 'bad,123,456,0']);
    const source = await createDataSource(
      { type: 'sudoku-csv', path, limit: 10, validationSize: 9, augment: false },
      1,
    );
    assert.equal(source.validation(100).batch, 9);
    await refuses({ type: 'sudoku-csv', path }, /line 12 \(the header is line 1\)/);
  });

  it('a default held-out share, and a clear sentence when the file is too small to split', async () => {
    const source = await createDataSource({ type: 'sudoku-csv', path: file4 }, 1);
    assert.equal(source.validation(1000).batch, 4, 'a tenth of 40 rows');
    await refuses(
      { type: 'sudoku-csv', path: file4, validationSize: 40 },
      /has 40 puzzles; holding out 40 leaves none to train on\. Lower validationSize/,
    );
  });

  const [good1, good2] = sudokuRows(2, 2);
  const [, q, a] = good2!.split(',') as [string, string, string];
  const swap = (s: string, i: number, ch: string) => s.slice(0, i) + ch + s.slice(i + 1);
  const clue = [...q].findIndex((ch) => ch !== '.');
  const BAD: [string, string, RegExp][] = [
    [
      'wrong length',
      `x,${q}.,${a},0`,
      /the question has 17 characters, but the file's first puzzle has 16/,
    ],
    [
      'answer length',
      `x,${q},${a.slice(1)},0`,
      /the answer has 15 characters; the question has 16/,
    ],
    [
      'bad character',
      `x,${swap(q, 5, 'x')},${a},0`,
      /the question has "x" at row 2, column 2; a 4×4 Sudoku uses the digits 1–4 and \. or 0 for blanks/,
    ],
    ['digit too big', `x,${q},${swap(a, 0, '7')},0`, /the answer has "7" at row 1, column 1/],
    [
      'blank answer',
      `x,${q},${swap(a, 3, '.')},0`,
      /the answer has a blank at row 1, column 4, so it is not solved/,
    ],
    [
      'clue disagrees',
      `x,${swap(q, clue, String((Number(a[clue]) % 4) + 1))},${a},0`,
      /the question gives \d at row \d, column \d but the answer has \d there/,
    ],
    [
      'unsolved',
      `x,${'.'.repeat(16)},1234123412341234,0`,
      /the answer is not a valid solution: column 1 holds 1 twice/,
    ],
    ['field count', `x,${q},${a}`, /it has 3 comma-separated fields; the header names 4/],
  ];
  for (const [what, row, message] of BAD) {
    it(`refuses a row with a sentence naming file and line: ${what}`, async () => {
      // Line 1 header, 2 good, 3 blank (counted, skipped), 4 good, 5 the bad row.
      const path = csv([HEADER, good1!, '', good2!, row]);
      await refuses(
        { type: 'sudoku-csv', path, validationSize: 1 },
        new RegExp(
          `^"${path.replace(/[\\.]/g, '\\$&')}" line 5 \\(the header is line 1\\): ${message.source}.*nothing was loaded\\.$`,
        ),
      );
    });
  }

  it('refuses a first row of a size no Sudoku has, a missing header, an empty or missing file', async () => {
    await refuses(
      { type: 'sudoku-csv', path: csv([HEADER, 'x,123,123,0']) },
      /line 2 .*the question has 3 characters; a Sudoku row needs 81 \(9×9\) or 16 \(4×4\)/,
    );
    await refuses(
      { type: 'sudoku-csv', path: csv([good1!]) },
      /line 1 is "gen0,.*not a header naming the question and answer columns/,
    );
    await refuses({ type: 'sudoku-csv', path: csv([HEADER]) }, /holds no puzzle rows/);
    await refuses({ type: 'sudoku-csv', path: join(dir, 'nope.csv') }, /does not exist/);
    await refuses({ type: 'sudoku-csv', path: dir }, /is a folder/);
  });
});

describe('Maze-Hard CSV', () => {
  const file = csv([HEADER, ...mazeRows(12, 9)]);

  it('reads a 9×9 file with the generated maze encoding; augmented rows keep a joined path', async () => {
    const source = await createDataSource({ type: 'maze-csv', path: file, validationSize: 2 }, 1);
    assert.equal(source.vocabSize, 6);
    assert.equal(source.length, 81);
    const held = source.validation(2);
    const lines = mazeRows(12, 9);
    assert.ok(
      lines.some(
        (l) => l.split(',')[1] === source.decode(rowsOf(held, 'inputs')[0]!).replace(/\n/g, ''),
      ),
      'decode gives the question back',
    );
    const seen = new Set<string>();
    for (let index = 0; index < 4; index++) {
      const batch = source.trainBatch(index, 16);
      const targets = rowsOf(batch, 'targets');
      for (const [r, input] of rowsOf(batch, 'inputs').entries()) {
        const target = targets[r]!;
        assert.ok(pathConnects(target, 9));
        input.forEach((t, i) =>
          assert.ok(t === target[i] || (t === MazeToken.open && target[i] === MazeToken.path)),
        );
        assert.ok(!input.includes(MazeToken.path));
        seen.add(input.join());
      }
    }
    assert.ok(seen.size > 10, 'the 10 training mazes appear in more than one orientation');
  });

  const [good] = mazeRows(1, 9);
  const [, q, a] = good!.split(',') as [string, string, string];
  const pathAt = [...a].indexOf('o');
  const BAD: [string, string, RegExp][] = [
    [
      'another size',
      `x,${q.slice(1)},${a.slice(1)},0`,
      /the question has 80 characters, but the file's first maze has 81; every row must be the same size/,
    ],
    [
      'bad character',
      `x,${q.replace('#', 'X')},${a},0`,
      /the question has "X" at row 1, column 1; a maze uses #/,
    ],
    [
      'path in question',
      `x,${q.slice(0, pathAt)}o${q.slice(pathAt + 1)},${a},0`,
      /the question marks a path cell \(o\)/,
    ],
    [
      'two starts',
      `x,${q.replace(' ', 'S')},${a.replace(' ', 'S')},0`,
      /the question has 2 start \(S\) and 1 goal \(G\) cells; a maze needs exactly one of each/,
    ],
    [
      'answer changes a wall',
      `x,${q},${a.replace('#', ' ')},0`,
      /the answer has " " at row 1, column 1 where the question has "#"/,
    ],
    [
      'unsolved',
      `x,${q},${q},0`,
      /the answer's path \(o\) does not join S to G, so it is not solved/,
    ],
  ];
  for (const [what, row, message] of BAD) {
    it(`refuses a row: ${what}`, async () => {
      const path = csv([HEADER, good!, row]);
      await refuses(
        { type: 'maze-csv', path, validationSize: 1 },
        new RegExp(`line 3 \\(the header is line 1\\): ${message.source}`),
      );
    });
  }

  it('refuses a first row that is no square grid, or a grid too big', async () => {
    await refuses(
      { type: 'maze-csv', path: csv([HEADER, `x,${q.slice(1)},${a.slice(1)},0`]) },
      /line 2 .*the question has 80 characters, not a square number/,
    );
    const side = 65;
    const row = `x,${'#'.repeat(side * side)},${'#'.repeat(side * side)},0`;
    await refuses(
      { type: 'maze-csv', path: csv([HEADER, row]) },
      /line 2 .*the grid is 65×65, too big/,
    );
  });
});
