/**
 * Puzzles read from a user's file, held compactly, and their fixed seeded held-out split. Pure.
 *
 * Cell values (token ids below 16) are packed two to a byte in chunks of rows, so the 3.8 M rows
 * of Sudoku-Extreme take ≈ 310 MB instead of one giant buffer or millions of small arrays.
 */
import { Rng, Stream } from './rng.ts';

const CHUNK_ROWS = 65536;

/** A row's fault, as the end of a sentence ("the answer has 80 characters ..."). */
export class RowProblem extends Error {}

/**
 * Turns a row's question and answer into cell values, throwing a RowProblem when the row is
 * malformed. The first row decides the grid size; the parser holds that state.
 */
export interface RowParser {
  parse(question: string, answer: string): { question: Uint8Array; answer: Uint8Array };
}

/**
 * Refuses a row whose question is not the size of the file's first (`cells`; 0 while the first
 * row is read) or whose answer is not the size of its question. `noun` names a grid ("puzzle").
 */
export function checkRowSize(question: string, answer: string, cells: number, noun: string): void {
  if (cells !== 0 && question.length !== cells) {
    throw new RowProblem(
      `the question has ${question.length} characters, but the file's first ${noun} has ${cells}; every row must be the same size`,
    );
  }
  if (answer.length !== question.length) {
    throw new RowProblem(
      `the answer has ${answer.length} characters; the question has ${question.length}`,
    );
  }
}

/** Question/answer grids of equal length, appended row by row. */
export class PuzzleRows {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes per packed grid. */
  private readonly stride: number;
  count = 0;

  constructor(readonly cells: number) {
    this.stride = Math.ceil(cells / 2);
  }

  push(question: ArrayLike<number>, answer: ArrayLike<number>): void {
    const chunk = Math.floor(this.count / CHUNK_ROWS);
    if (chunk === this.chunks.length)
      this.chunks.push(new Uint8Array(CHUNK_ROWS * 2 * this.stride));
    const base = (this.count % CHUNK_ROWS) * 2 * this.stride;
    const bytes = this.chunks[chunk] as Uint8Array;
    this.pack(question, bytes, base);
    this.pack(answer, bytes, base + this.stride);
    this.count++;
  }

  /** Row `i` as [cells] values: the question and the answer. */
  get(i: number): { question: Uint8Array; answer: Uint8Array } {
    const bytes = this.chunks[Math.floor(i / CHUNK_ROWS)] as Uint8Array;
    const base = (i % CHUNK_ROWS) * 2 * this.stride;
    return { question: this.unpack(bytes, base), answer: this.unpack(bytes, base + this.stride) };
  }

  private pack(values: ArrayLike<number>, bytes: Uint8Array, at: number): void {
    for (let c = 0; c < this.cells; c += 2) {
      bytes[at + c / 2] =
        (values[c] as number) | (((values[c + 1] as number | undefined) ?? 0) << 4);
    }
  }

  private unpack(bytes: Uint8Array, at: number): Uint8Array {
    const out = new Uint8Array(this.cells);
    for (let c = 0; c < this.cells; c++) {
      const byte = bytes[at + (c >> 1)] as number;
      out[c] = c & 1 ? byte >> 4 : byte & 15;
    }
    return out;
  }
}

export interface RowSplit {
  /** Held-out row numbers (0-based, in the file's order of puzzles), fixed by the seed. */
  heldOut: Int32Array;
  /** Every other row, the training pool. */
  train: Int32Array;
}

/**
 * The held-out rows when none is asked for explicitly: a tenth of the rows, at least 1 and at
 * most 1000 (the paper's Sudoku training set is 1000 puzzles; its test set is separate).
 */
export function defaultValidationSize(rows: number): number {
  return Math.min(1000, Math.max(1, Math.floor(rows / 10)));
}

/** A seeded choice of `heldOut` of `rows` rows (partial Fisher–Yates); the rest train. */
export function splitRows(rows: number, heldOut: number, seed: number): RowSplit {
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const rng = Rng.of(seed, Stream.split);
  for (let i = 0; i < heldOut; i++) {
    const j = i + rng.int(rows - i);
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
  // Held-out rows in file order, so validation(n) reads the same rows whatever n is asked.
  return { heldOut: order.slice(0, heldOut).sort(), train: order.subarray(heldOut) };
}
