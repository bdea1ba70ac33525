/**
 * Sudoku-Extreme rows (a user's CSV) as a cells task, encoded like the generated Sudoku
 * (sudoku-source.ts): PAD 0, blank 1, digit d → d + 1; 81 characters make a 9×9 grid (vocab
 * 11), 16 a 4×4 one (vocab 6). Pure: the file is read by puzzle-csv.ts.
 */
import { cellsSourceWith, type CellsExample } from './cells-source.ts';
import {
  checkRowSize,
  RowProblem,
  type PuzzleRows,
  type RowParser,
  type RowSplit,
} from './puzzle-rows.ts';
import type { Rng } from './rng.ts';
import type { SudokuCsvSpec } from './spec.ts';
import { sudokuToken } from './sudoku-source.ts';
import { augmentSudoku } from './sudoku.ts';
import type { DataSource } from './types.ts';

/** Box side by grid length: 81 cells → 3 (9×9), 16 → 2 (4×4). */
const BOX_OF_CELLS: Record<number, number> = { 81: 3, 16: 2 };

const where = (cell: number, n: number) =>
  `row ${Math.floor(cell / n) + 1}, column ${(cell % n) + 1}`;

/** Grid values (0 = blank) of one side of a row; blanks are refused in an answer. */
function values(text: string, n: number, side: 'question' | 'answer'): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const blank = ch === '.' || ch === '0';
    const digit = blank ? 0 : ch.charCodeAt(0) - 48;
    if (!blank && !(digit >= 1 && digit <= n)) {
      throw new RowProblem(
        `the ${side} has ${JSON.stringify(ch)} at ${where(i, n)}; a ${n}×${n} Sudoku uses the digits 1–${n}${side === 'question' ? ' and . or 0 for blanks' : ''}`,
      );
    }
    if (blank && side === 'answer') {
      throw new RowProblem(
        `the answer has a blank at ${where(i, n)}, so it is not solved; the answer must be the complete solution`,
      );
    }
    out[i] = digit;
  }
  return out;
}

/** Where a complete grid breaks the rules (a digit twice in a row, column or box), or null. */
export function sudokuConflict(grid: ArrayLike<number>, box: number): string | null {
  const n = box * box;
  for (let unit = 0; unit < n; unit++) {
    const kinds = [
      { name: `row ${unit + 1}`, cell: (k: number) => unit * n + k },
      { name: `column ${unit + 1}`, cell: (k: number) => k * n + unit },
      {
        name: `box ${unit + 1}`,
        cell: (k: number) =>
          (Math.floor(unit / box) * box + Math.floor(k / box)) * n + (unit % box) * box + (k % box),
      },
    ];
    for (const { name, cell } of kinds) {
      let seen = 0;
      for (let k = 0; k < n; k++) {
        const bit = 1 << (grid[cell(k)] as number);
        if (seen & bit) return `${name} holds ${grid[cell(k)]} twice`;
        seen |= bit;
      }
    }
  }
  return null;
}

/** Checks every row: lengths, characters, a complete valid answer that keeps every clue. */
export function sudokuRowParser(): RowParser & { box: number } {
  let cells = 0;
  const parser = {
    box: 0,
    parse(question: string, answer: string) {
      if (cells === 0) {
        const box = BOX_OF_CELLS[question.length];
        if (!box) {
          throw new RowProblem(
            `the question has ${question.length} characters; a Sudoku row needs 81 (9×9) or 16 (4×4)`,
          );
        }
        cells = question.length;
        parser.box = box;
      }
      checkRowSize(question, answer, cells, 'puzzle');
      const n = parser.box * parser.box;
      const q = values(question, n, 'question');
      const a = values(answer, n, 'answer');
      for (let i = 0; i < cells; i++) {
        if (q[i] !== 0 && q[i] !== a[i]) {
          throw new RowProblem(
            `the question gives ${q[i]} at ${where(i, n)} but the answer has ${a[i]} there; the answer must keep every clue`,
          );
        }
      }
      const conflict = sudokuConflict(a, parser.box);
      if (conflict) throw new RowProblem(`the answer is not a valid solution: ${conflict}`);
      return { question: q, answer: a };
    },
  };
  return parser;
}

const toTokens = (grid: Uint8Array) => Int32Array.from(grid, sudokuToken);

/** The source over rows already read and split; training rows are augmented when asked. */
export function sudokuCsvSource(
  spec: SudokuCsvSpec,
  rows: PuzzleRows,
  box: number,
  split: RowSplit,
  seed: number,
): DataSource {
  const n = box * box;
  const example = (puzzle: Uint8Array, solution: Uint8Array): CellsExample => ({
    input: toTokens(puzzle),
    target: toTokens(solution),
  });
  const heldOut = Array.from(split.heldOut, (row) => {
    const { question, answer } = rows.get(row);
    return example(question, answer);
  });
  return cellsSourceWith(
    {
      name: `sudoku ${n}×${n} from ${spec.path}`,
      vocab: ['<pad>', '.', ...Array.from({ length: n }, (_, d) => String(d + 1))],
      length: n * n,
      width: n,
      encoding:
        `Sudoku ${n}×${n} from a CSV file, ${n * n} cells row-major. Tokens: 0 = PAD (unused), 1 = blank, digit d → d + 1. ` +
        `Input: the question; target: the answer at every cell.` +
        (spec.augment
          ? ' Training rows get a random digit relabelling, transpose and band/stack/row/column shuffle.'
          : ''),
      train(rng: Rng) {
        const { question, answer } = rows.get(split.train[rng.int(split.train.length)] as number);
        if (!spec.augment) return example(question, answer);
        const pair = augmentSudoku({ puzzle: question, solution: answer }, box, rng);
        return example(pair.puzzle, pair.solution);
      },
    },
    seed,
    heldOut,
  );
}
