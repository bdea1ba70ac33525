/**
 * A DataSource for tasks answered position by position (puzzles, sequence tasks): a fixed set of
 * held-out examples, and a training stream that never yields one of them (checked by exact
 * input, redrawn when hit). Pure.
 */
import { dataErrors } from './errors.ts';
import { Rng, Stream } from './rng.ts';
import { emptyBatch, IGNORE, type Batch, type DataSource } from './types.ts';

export interface CellsExample {
  /** [length] token ids. */
  input: ArrayLike<number>;
  /** [length] answer ids, IGNORE where nothing is asked. */
  target: ArrayLike<number>;
  /** Puzzle id in [0, task.puzzleIds), for tasks that declare `puzzleIds`. */
  puzzle?: number;
}

export interface CellsTask {
  name: string;
  /** Display symbol per token id; its length is the vocabulary size. */
  vocab: string[];
  length: number;
  /** Human description of the token layout, stored with the model. */
  encoding: string;
  /** Grid width for decode (a newline after every `width` tokens); none for sequences. */
  width?: number;
  /** A training example drawn with `rng` (possibly augmented). */
  train(rng: Rng): CellsExample;
  /** A fresh held-out example drawn with `rng`. */
  heldOut(rng: Rng): CellsExample;
  /** Distinct puzzle ids examples carry (see `DataSource.puzzleIds`); none when absent. */
  puzzleIds?: number;
}

/** A task whose held-out examples are given, not drawn (rows of a user's file). */
export type FixedCellsTask = Omit<CellsTask, 'heldOut'>;

const MAX_REDRAWS = 200;

function keyOf(input: ArrayLike<number>): string {
  let key = '';
  for (let i = 0; i < input.length; i++) key += String.fromCharCode(input[i] as number);
  return key;
}

/** Builds the held-out set now, so a too-small task fails at creation with a clear message. */
export function createCellsSource(
  task: CellsTask,
  seed: number,
  validationSize: number,
): DataSource {
  const heldOut: CellsExample[] = [];
  const heldOutKeys = new Set<string>();
  const attempts = validationSize * 20 + 1000;
  for (let i = 0; i < attempts && heldOut.length < validationSize; i++) {
    const example = task.heldOut(Rng.of(seed, Stream.validation, i));
    const key = keyOf(example.input);
    if (heldOutKeys.has(key)) continue;
    heldOutKeys.add(key);
    heldOut.push(example);
  }
  if (heldOut.length < validationSize) {
    throw dataErrors.taskSpaceTooSmall(task.name, validationSize, heldOut.length);
  }
  return cellsSourceWith(task, seed, heldOut);
}

/**
 * A cells source over a given held-out set: training draws equal to a held-out input are
 * redrawn, as in `createCellsSource`.
 */
export function cellsSourceWith(
  task: FixedCellsTask,
  seed: number,
  heldOut: readonly CellsExample[],
): DataSource {
  const heldOutKeys = new Set(heldOut.map((example) => keyOf(example.input)));
  const { length, puzzleIds } = task;
  const allocate = (rows: number): Batch => {
    const batch = emptyBatch(rows, length);
    return puzzleIds === undefined ? batch : { ...batch, puzzle: new Int32Array(rows) };
  };

  const write = (batch: Batch, row: number, example: CellsExample): void => {
    batch.inputs.set(example.input, row * length);
    batch.targets.set(example.target, row * length);
    if (batch.puzzle) batch.puzzle[row] = example.puzzle ?? 0;
  };

  return {
    name: task.name,
    kind: 'cells',
    vocabSize: task.vocab.length,
    length,
    ...(puzzleIds === undefined ? {} : { puzzleIds }),
    exactMatch: true,
    // A grid is what has given and open cells; sequences have neither.
    ...(task.width === undefined ? {} : { openCells: true }),
    trainBatch(index, batchSize) {
      const batch = allocate(batchSize);
      for (let row = 0; row < batchSize; row++) {
        const rng = Rng.of(seed, Stream.train, index, row);
        let example: CellsExample | undefined;
        for (let attempt = 0; attempt < MAX_REDRAWS && !example; attempt++) {
          const drawn = task.train(rng);
          if (!heldOutKeys.has(keyOf(drawn.input))) example = drawn;
        }
        if (!example) throw dataErrors.trainingSpaceExhausted(task.name);
        write(batch, row, example);
      }
      return batch;
    },
    validation(count) {
      const rows = Math.min(count, heldOut.length);
      const batch = allocate(rows);
      for (let row = 0; row < rows; row++) write(batch, row, heldOut[row] as CellsExample);
      return batch;
    },
    decode(ids) {
      let text = '';
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as number;
        if (task.width && i > 0 && i % task.width === 0) text += '\n';
        text += id === IGNORE ? ' ' : (task.vocab[id] ?? '?');
      }
      return text;
    },
    describe() {
      return { vocab: [...task.vocab], encoding: task.encoding };
    },
  };
}
