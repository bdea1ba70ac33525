import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ARC_SIDE,
  arcVariant,
  ArcToken,
  decodeArcGrid,
  encodeArcGrid,
  transformArcGrid,
  type ArcGrid,
} from './arc.ts';
import { DataError } from './errors.ts';
import { createDataSource } from './index.ts';
import { dihedral } from './maze.ts';
import { IGNORE, sliceBatch } from './types.ts';

const root = mkdtempSync(join(tmpdir(), 'trm-arc-'));
let folders = 0;
/** A fresh folder holding `tasks` as `<name>.json` (strings are written as they are). */
function folder(tasks: Record<string, unknown>): string {
  const dir = join(root, `f${folders++}`);
  mkdirSync(dir);
  for (const [name, task] of Object.entries(tasks)) {
    writeFileSync(
      join(dir, `${name}.json`),
      typeof task === 'string' ? task : JSON.stringify(task),
    );
  }
  return dir;
}

const grid = (rows: number[][]): ArcGrid => ({
  rows: rows.length,
  cols: rows[0]!.length,
  cells: Uint8Array.from(rows.flat()),
});

/** A task whose output is its input flipped left-right; pairs of sizes h×w. */
function flipTask(seed: number, sizes: [number, number][], tests = 1) {
  const pair = (h: number, w: number, k: number) => {
    const input = Array.from({ length: h }, (_, r) =>
      Array.from({ length: w }, (_, c) => (r * 7 + c * 3 + seed + k) % 10),
    );
    return { input, output: input.map((row) => [...row].reverse()) };
  };
  return {
    train: sizes.map(([h, w], k) => pair(h, w, k)),
    test: Array.from({ length: tests }, (_, k) => pair(3, 4, 100 + k)),
  };
}

async function refuses(path: string, message: RegExp): Promise<void> {
  await assert.rejects(createDataSource({ type: 'arc', path }, 1), (error: unknown) => {
    assert.ok(error instanceof DataError, String(error));
    assert.match(error.message, message);
    return true;
  });
}

describe('ARC encoding', () => {
  it('puts the grid top-left on a 30×30 canvas with an EOS row and column, colours + 2', () => {
    const tokens = encodeArcGrid(
      grid([
        [0, 1, 2],
        [3, 4, 9],
      ]),
    );
    assert.equal(tokens.length, ARC_SIDE * ARC_SIDE);
    assert.deepEqual(Array.from(tokens.subarray(0, 5)), [2, 3, 4, ArcToken.eos, 0]);
    assert.deepEqual(Array.from(tokens.subarray(30, 35)), [5, 6, 11, ArcToken.eos, 0]);
    assert.deepEqual(
      Array.from(tokens.subarray(60, 65)),
      [1, 1, 1, 0, 0],
      'EOS row, not the corner',
    );
    assert.equal(tokens.filter((t) => t === ArcToken.pad).length, 900 - 6 - 5);
    // A full 30×30 grid has no room for EOS.
    const full = grid(Array.from({ length: 30 }, () => Array(30).fill(7)));
    assert.ok(encodeArcGrid(full).every((t) => t === 9));
  });

  it('round-trips grids of every shape through encode, decode and the 8 symmetries', () => {
    const colours = Uint8Array.from({ length: 10 }, (_, c) => c);
    for (const [h, w] of [
      [1, 1],
      [2, 5],
      [30, 1],
      [7, 30],
      [30, 30],
    ] as const) {
      const g = grid(
        Array.from({ length: h }, (_, r) => Array.from({ length: w }, (_, c) => (r * 3 + c) % 10)),
      );
      assert.deepEqual(decodeArcGrid(encodeArcGrid(g)), g);
      for (let k = 0; k < 8; k++) {
        const t = transformArcGrid(g, k, colours);
        assert.deepEqual(decodeArcGrid(encodeArcGrid(t)), t);
        if (h === w)
          assert.deepEqual(t.cells, dihedral(g.cells, h, k), 'agrees with the maze symmetries');
      }
      assert.deepEqual(transformArcGrid(transformArcGrid(g, 1, colours), 1, colours), g);
    }
  });

  it('variants keep colour 0, permute 1–9, and are fixed by (seed, task, variant)', () => {
    assert.deepEqual(Array.from(arcVariant(1, 0, 0).colours), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(arcVariant(1, 0, 0).k, 0);
    const ks = new Set<number>();
    for (let a = 1; a < 50; a++) {
      const v = arcVariant(1, 3, a);
      assert.deepEqual(v, arcVariant(1, 3, a));
      assert.equal(v.colours[0], 0);
      assert.deepEqual([...v.colours].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      ks.add(v.k);
    }
    assert.equal(ks.size, 8);
    assert.notDeepEqual(arcVariant(1, 3, 1), arcVariant(2, 3, 1));
  });
});

describe('ARC task folders', () => {
  const dir = folder({
    b: flipTask(1, [
      [2, 3],
      [4, 4],
    ]),
    a: flipTask(2, [[5, 2]], 2),
    c: flipTask(3, [[1, 6]]),
  });

  it('trains on train pairs with puzzle ids per task and variant; holds out the test pairs as written', async () => {
    const source = await createDataSource({ type: 'arc', path: dir, augmentations: 4 }, 1);
    assert.equal(source.vocabSize, 12);
    assert.equal(source.length, 900);
    assert.equal(source.puzzleIds, 1 + 3 * 5);
    const held = source.validation(100);
    assert.equal(held.batch, 4, 'a: 2, b: 1, c: 1 test pairs');
    // Tasks in file-name order: a → ids 1..5, b → 6..10, c → 11..15; held-out uses variant 0.
    assert.deepEqual(Array.from(held.puzzle!), [1, 1, 6, 11]);
    assert.deepEqual(sliceBatch(held, 1, 3).puzzle, Int32Array.from([1, 6]));
    for (let r = 0; r < held.batch; r++) {
      const input = decodeArcGrid(held.inputs.subarray(r * 900, (r + 1) * 900));
      assert.deepEqual([input.rows, input.cols], [3, 4]);
    }
    const ids = new Set<number>();
    for (let index = 0; index < 6; index++) {
      const batch = source.trainBatch(index, 16);
      for (let r = 0; r < 16; r++) {
        const id = batch.puzzle![r]!;
        assert.ok(id >= 1 && id < 16);
        ids.add(id);
        const input = decodeArcGrid(batch.inputs.subarray(r * 900, (r + 1) * 900));
        const targets = batch.targets.subarray(r * 900, (r + 1) * 900);
        const output = decodeArcGrid(targets.map((t) => (t === IGNORE ? 0 : t)));
        // Every variant of a left-right flip is still a flip, up-down (k = 2) or left-right (4).
        const flips = [2, 4].some((k) => {
          const f = transformArcGrid(
            input,
            k,
            Uint8Array.from({ length: 10 }, (_, c) => c),
          );
          return f.rows === output.rows && f.cells.every((v, i) => v === output.cells[i]);
        });
        assert.ok(flips || (input.rows === 1 && input.cols === 1), `row ${r} is a flip`);
        assert.ok(!targets.includes(ArcToken.pad), 'PAD is never scored');
      }
    }
    assert.ok(ids.size > 8, 'variants get their own ids');
    const plain = await createDataSource({ type: 'arc', path: dir, augment: false }, 1);
    assert.equal(plain.puzzleIds, 4);
    assert.deepEqual(Array.from(plain.validation(4).puzzle!), [1, 1, 2, 3]);
  });

  it('a seeded choice of test pairs when validationSize is smaller; limit reads the first files', async () => {
    const a = await createDataSource({ type: 'arc', path: dir, validationSize: 2 }, 1);
    const b = await createDataSource({ type: 'arc', path: dir, validationSize: 2 }, 1);
    assert.equal(a.validation(10).batch, 2);
    assert.deepEqual(a.validation(10), b.validation(10));
    const first = await createDataSource({ type: 'arc', path: dir, limit: 1 }, 1);
    assert.equal(first.validation(10).batch, 2, 'only task a');
  });

  it('refuses a bad task file with a sentence naming the file and the fault', async () => {
    const good = flipTask(1, [[2, 2]]);
    const cases: [unknown, RegExp][] = [
      ['{"train": [', /not valid JSON \(/],
      [[1, 2], /the file is not an object \{"train": \[\.\.\.\], "test": \[\.\.\.\]\}/],
      [{ train: good.train }, /"test" is missing or not a non-empty list of input\/output pairs/],
      [{ ...good, test: [{ input: [[1]] }] }, /test pair 1 has no "output"/],
      [
        { ...good, train: [good.train[0], { input: [[1, 2], [3]], output: [[1]] }] },
        /train pair 2's input is not rectangular: row 2 has 1 cells, row 1 has 2/,
      ],
      [
        { ...good, train: [{ input: Array(31).fill([1]), output: [[1]] }] },
        /train pair 1's input is 31×1 \(rows × columns\), too big: grids may be at most 30×30/,
      ],
      [
        { ...good, test: [{ input: [[1]], output: [[1, 10]] }] },
        /test pair 1's output has 10 at row 1, column 2; colours are whole numbers 0–9/,
      ],
      [{ ...good, train: [{ input: [], output: [[1]] }] }, /train pair 1's input is not a grid/],
    ];
    for (const [task, message] of cases) {
      const path = folder({ a: good, z: task as never });
      await refuses(
        path,
        new RegExp(
          `^"${join(path, 'z.json').replace(/[\\.]/g, '\\$&')}": ${message.source}.*nothing was loaded\\.$`,
        ),
      );
    }
  });

  it('refuses a missing folder, a file, and a folder without tasks', async () => {
    await refuses(join(root, 'nope'), /Cannot read the folder ".*nope": it does not exist/);
    const file = join(root, 'task.json');
    writeFileSync(file, '{}');
    await refuses(file, /is a file, not a folder/);
    await refuses(folder({}), /holds no \.json task files/);
  });
});
