/**
 * Sudoku as a cells task, encoded as in the TRM paper: PAD = 0, blank = 1, digit d → d + 1
 * (vocab 11 for 9×9, 6 for 4×4). Input: the puzzle; target: the full solution, every cell.
 */
import type { CellsTask } from './cells-source.ts';
import { Rng, Stream } from './rng.ts';
import type { SudokuSpec } from './spec.ts';
import { augmentSudoku, generateSudoku, type SudokuPair } from './sudoku.ts';

export const SUDOKU_PAD = 0;
export const SUDOKU_BLANK = 1;

/** Token id of a grid value (0 = blank). */
export function sudokuToken(value: number): number {
  return value === 0 ? SUDOKU_BLANK : value + 1;
}

function toTokens(grid: Uint8Array): Int32Array {
  return Int32Array.from(grid, sudokuToken);
}

export function sudokuTask(spec: SudokuSpec, seed: number): CellsTask {
  const box = spec.size === 4 ? 2 : 3;
  const n = spec.size;
  const pool: SudokuPair[] = [];
  for (let i = 0; i < spec.pool; i++)
    pool.push(generateSudoku(box, Rng.of(seed, Stream.pool, i), spec.minClues));
  const vocab = ['<pad>', '.', ...Array.from({ length: n }, (_, d) => String(d + 1))];
  return {
    name: `sudoku ${n}×${n}`,
    vocab,
    length: n * n,
    width: n,
    encoding:
      `Sudoku ${n}×${n}, ${n * n} cells row-major. Tokens: 0 = PAD (unused), 1 = blank, digit d → d + 1. ` +
      `Input: the puzzle; target: the complete solution at every cell. Every puzzle has exactly one solution.`,
    train(rng) {
      const base = pool[rng.int(pool.length)] as SudokuPair;
      const pair = spec.augment ? augmentSudoku(base, box, rng) : base;
      return { input: toTokens(pair.puzzle), target: toTokens(pair.solution) };
    },
    heldOut(rng) {
      const pair = generateSudoku(box, rng, spec.minClues);
      return { input: toTokens(pair.puzzle), target: toTokens(pair.solution) };
    },
  };
}
