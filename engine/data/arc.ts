/**
 * ARC-AGI tasks as a cells task, encoded as the TRM code does (build_arc_dataset.py, without
 * its random translation): every grid is placed at the top-left of a 30×30 canvas, row-major
 * (900 tokens); PAD 0 fills the canvas, an end-of-row marker EOS 1 runs along the row below the
 * grid and the column right of it (where they fit; not at their corner), colour c → c + 2
 * (vocab 12). Pure: the folder is read by arc-folder.ts.
 *
 * Puzzle ids: id 0 is blank; task t (in file-name order) in augmentation variant a (0 = as
 * written) has id 1 + t · V + a, where V = augmentations + 1 (1 without augmentation). A variant
 * is one of the 8 symmetries of the square and a permutation of colours 1–9 that keeps colour 0
 * (the background) fixed, as the paper's code does; it is fixed per (seed, task, variant), so
 * a per-puzzle embedding sees the same transform under the same id.
 */
import { cellsSourceWith, type CellsExample } from './cells-source.ts';
import { dataErrors } from './errors.ts';
import { splitRows } from './puzzle-rows.ts';
import { Rng, Stream } from './rng.ts';
import type { ArcSpec } from './spec.ts';
import { IGNORE, type DataSource } from './types.ts';

export const ARC_SIDE = 30;
export const ArcToken = { pad: 0, eos: 1, colour0: 2 } as const;
export const ARC_VOCAB = ['<pad>', '|', ...Array.from({ length: 10 }, (_, c) => String(c))];

export interface ArcGrid {
  rows: number;
  cols: number;
  /** [rows * cols] colours 0–9, row-major. */
  cells: Uint8Array;
}

export interface ArcPair {
  input: ArcGrid;
  output: ArcGrid;
}

export interface ArcTask {
  /** The file name without `.json` (the task's id in the ARC sets). */
  id: string;
  train: ArcPair[];
  test: ArcPair[];
}

/** Thrown while checking a task; the caller names the file. */
class TaskProblem extends Error {}

function parseGrid(value: unknown, what: string): ArcGrid {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TaskProblem(`${what} is not a grid (a non-empty list of rows of colours 0–9)`);
  }
  const rows = value.length;
  const first: unknown = value[0];
  const cols = Array.isArray(first) ? first.length : 0;
  if (rows > ARC_SIDE || cols > ARC_SIDE) {
    throw new TaskProblem(
      `${what} is ${rows}×${cols} (rows × columns), too big: grids may be at most ${ARC_SIDE}×${ARC_SIDE}`,
    );
  }
  const cells = new Uint8Array(rows * cols);
  value.forEach((row: unknown, r) => {
    if (!Array.isArray(row) || row.length === 0) {
      throw new TaskProblem(`row ${r + 1} of ${what} is not a non-empty list of colours`);
    }
    if (row.length !== cols) {
      throw new TaskProblem(
        `${what} is not rectangular: row ${r + 1} has ${row.length} cells, row 1 has ${cols}`,
      );
    }
    row.forEach((colour: unknown, c) => {
      if (!(Number.isInteger(colour) && (colour as number) >= 0 && (colour as number) <= 9)) {
        throw new TaskProblem(
          `${what} has ${JSON.stringify(colour)} at row ${r + 1}, column ${c + 1}; colours are whole numbers 0–9`,
        );
      }
      cells[r * cols + c] = colour as number;
    });
  });
  return { rows, cols, cells };
}

function parsePairs(value: unknown, split: 'train' | 'test'): ArcPair[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TaskProblem(`"${split}" is missing or not a non-empty list of input/output pairs`);
  }
  return value.map((pair: unknown, i) => {
    const name = `${split} pair ${i + 1}`;
    if (typeof pair !== 'object' || pair === null) {
      throw new TaskProblem(`${name} is not an object with "input" and "output"`);
    }
    const { input, output } = pair as { input?: unknown; output?: unknown };
    if (output === undefined) {
      throw new TaskProblem(`${name} has no "output" (held-out pairs need their answers)`);
    }
    return {
      input: parseGrid(input, `${name}'s input`),
      output: parseGrid(output, `${name}'s output`),
    };
  });
}

/** A task file's parsed JSON, checked; a DataError naming `file` and the fault otherwise. */
export function parseArcTask(file: string, id: string, json: unknown): ArcTask {
  try {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new TaskProblem(`the file is not an object {"train": [...], "test": [...]}`);
    }
    const { train, test } = json as { train?: unknown; test?: unknown };
    return { id, train: parsePairs(train, 'train'), test: parsePairs(test, 'test') };
  } catch (error) {
    if (error instanceof TaskProblem) throw dataErrors.arcTask(file, error.message);
    throw error;
  }
}

/**
 * One of the 8 symmetries of the square (k in 0..7, as maze.ts: transpose (bit 0), flip rows
 * (1), flip columns (2)) on a rectangular grid, then colours relabelled by `colours`.
 */
export function transformArcGrid(grid: ArcGrid, k: number, colours: ArrayLike<number>): ArcGrid {
  const transpose = (k & 1) === 1;
  const rows = transpose ? grid.cols : grid.rows;
  const cols = transpose ? grid.rows : grid.cols;
  const cells = new Uint8Array(rows * cols);
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      let r2 = transpose ? c : r;
      let c2 = transpose ? r : c;
      if (k & 2) r2 = rows - 1 - r2;
      if (k & 4) c2 = cols - 1 - c2;
      cells[r2 * cols + c2] = colours[grid.cells[r * grid.cols + c] as number] as number;
    }
  }
  return { rows, cols, cells };
}

/** [900] tokens: the grid at the top-left of the 30×30 canvas with its EOS edge. */
export function encodeArcGrid(grid: ArcGrid): Int32Array {
  const out = new Int32Array(ARC_SIDE * ARC_SIDE); // PAD everywhere
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      out[r * ARC_SIDE + c] = (grid.cells[r * grid.cols + c] as number) + ArcToken.colour0;
    }
    if (grid.cols < ARC_SIDE) out[r * ARC_SIDE + grid.cols] = ArcToken.eos;
  }
  if (grid.rows < ARC_SIDE)
    out.fill(ArcToken.eos, grid.rows * ARC_SIDE, grid.rows * ARC_SIDE + grid.cols);
  return out;
}

/** The grid in 900 tokens (or a prediction): colours from the top-left up to the first non-colour. */
export function decodeArcGrid(tokens: ArrayLike<number>): ArcGrid {
  const isColour = (t: number) => t >= ArcToken.colour0 && t < ArcToken.colour0 + 10;
  let cols = 0;
  while (cols < ARC_SIDE && isColour(tokens[cols] as number)) cols++;
  let rows = 0;
  while (rows < ARC_SIDE && cols > 0 && isColour(tokens[rows * ARC_SIDE] as number)) rows++;
  const cells = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = tokens[r * ARC_SIDE + c] as number;
      cells[r * cols + c] = isColour(t) ? t - ArcToken.colour0 : 0;
    }
  }
  return { rows, cols, cells };
}

export interface ArcVariant {
  /** Square symmetry, 0..7 (0 = as written). */
  k: number;
  /** [10] colour map, colours[0] = 0. */
  colours: Uint8Array;
}

const IDENTITY: ArcVariant = { k: 0, colours: Uint8Array.from({ length: 10 }, (_, c) => c) };

/** Variant `a` of task `t` for this seed; variant 0 is the task as written. */
export function arcVariant(seed: number, task: number, a: number): ArcVariant {
  if (a === 0) return IDENTITY;
  const rng = Rng.of(seed, Stream.pool, task, a);
  const k = rng.int(8);
  return { k, colours: Uint8Array.from([0, ...rng.permutation(9).map((c) => c + 1)]) };
}

function exampleOf(pair: ArcPair, variant: ArcVariant, puzzle: number): CellsExample {
  const input = transformArcGrid(pair.input, variant.k, variant.colours);
  const output = transformArcGrid(pair.output, variant.k, variant.colours);
  const target = encodeArcGrid(output);
  // PAD is not scored (the paper's ignore_label_id = 0); EOS is, so the model learns the size.
  for (let i = 0; i < target.length; i++) if (target[i] === ArcToken.pad) target[i] = IGNORE;
  return { input: encodeArcGrid(input), target, puzzle };
}

/** Training on every task's train pairs (augmented), held out on their test pairs (as written). */
export function arcSource(spec: ArcSpec, tasks: readonly ArcTask[], seed: number): DataSource {
  const variants = spec.augment ? spec.augmentations + 1 : 1;
  const idOf = (t: number, a: number) => 1 + t * variants + a;
  const tests = tasks.flatMap((task, t) => task.test.map((pair) => ({ pair, t })));
  const size = Math.min(spec.validationSize ?? tests.length, tests.length);
  const chosen =
    size === tests.length
      ? tests
      : Array.from(splitRows(tests.length, size, seed).heldOut, (i) => tests[i]!);
  const heldOut = chosen.map(({ pair, t }) => exampleOf(pair, IDENTITY, idOf(t, 0)));
  return cellsSourceWith(
    {
      name: `arc (${tasks.length} tasks from ${spec.path})`,
      vocab: [...ARC_VOCAB],
      length: ARC_SIDE * ARC_SIDE,
      width: ARC_SIDE,
      puzzleIds: 1 + tasks.length * variants,
      encoding:
        `ARC-AGI grids on a 30×30 canvas, row-major (900 tokens), grid at the top-left. Tokens: 0 = PAD, 1 = end of row/grid ` +
        `(the column right of the grid and the row below it), colour c → c + 2. Input: a pair's input; target: its output, PAD not scored. ` +
        `Puzzle id 1 + task · ${variants} + variant (0 = blank).` +
        (spec.augment
          ? ` Training pairs use one of ${spec.augmentations} fixed variants per task or the task as written (square symmetry, colours 1–9 permuted, 0 kept).`
          : ''),
      train(rng) {
        const t = rng.int(tasks.length);
        const a = rng.int(variants);
        const task = tasks[t] as ArcTask;
        const pair = task.train[rng.int(task.train.length)] as ArcPair;
        return exampleOf(pair, arcVariant(seed, t, a), idOf(t, a));
      },
    },
    seed,
    heldOut,
  );
}
