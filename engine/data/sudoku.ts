/**
 * Sudoku of any box size (2 → 4×4, 3 → 9×9): a bitmask backtracking solver that counts solutions
 * (up to a limit, so uniqueness is one call), a generator of unique-solution puzzles, and the
 * validity-preserving transforms used for augmentation. Grids are row-major, 0 = blank.
 */
import type { Rng } from './rng.ts';

export interface SudokuPair {
  puzzle: Uint8Array;
  solution: Uint8Array;
}

const POPCOUNT = new Uint8Array(1 << 9).map((_, m) => {
  let count = 0;
  for (let x = m; x; x &= x - 1) count++;
  return count;
});

class SearchState {
  readonly n: number;
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly boxes: Int32Array;
  readonly boxOf: Int32Array;
  readonly full: number;
  count = 0;
  first: Uint8Array | undefined;
  /** Keep a copy of the first solution found. */
  keepFirst = true;
  /** A digit bit that `forbidCell` may not take (for "is there another solution?" checks). */
  forbidCell = -1;
  forbidBit = 0;

  constructor(
    readonly cells: Uint8Array,
    readonly box: number,
  ) {
    const n = box * box;
    this.n = n;
    this.full = (1 << n) - 1;
    this.rows = new Int32Array(n);
    this.cols = new Int32Array(n);
    this.boxes = new Int32Array(n);
    this.boxOf = new Int32Array(n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        this.boxOf[r * n + c] = Math.floor(r / box) * box + Math.floor(c / box);
      }
    }
  }

  /** Records the givens; false when two of them clash. */
  load(): boolean {
    const { n, cells } = this;
    for (let i = 0; i < n * n; i++) {
      const v = cells[i] as number;
      if (v === 0) continue;
      if (v > n) return false;
      const bit = 1 << (v - 1);
      const r = Math.floor(i / n);
      const c = i % n;
      const b = this.boxOf[i] as number;
      if (
        (this.rows[r] as number) & bit ||
        (this.cols[c] as number) & bit ||
        (this.boxes[b] as number) & bit
      ) {
        return false;
      }
      this.rows[r] = (this.rows[r] as number) | bit;
      this.cols[c] = (this.cols[c] as number) | bit;
      this.boxes[b] = (this.boxes[b] as number) | bit;
    }
    return true;
  }

  candidates(i: number): number {
    const r = Math.floor(i / this.n);
    const c = i % this.n;
    const used =
      (this.rows[r] as number) |
      (this.cols[c] as number) |
      (this.boxes[this.boxOf[i] as number] as number);
    return ~used & this.full & (i === this.forbidCell ? ~this.forbidBit : -1);
  }

  /** Depth-first search on the most constrained blank cell; stops once `limit` solutions are found. */
  search(limit: number, rng: Rng | undefined): void {
    const { n, cells } = this;
    let best = -1;
    let bestMask = 0;
    let bestCount = n + 1;
    for (let i = 0; i < n * n; i++) {
      if (cells[i] !== 0) continue;
      const mask = this.candidates(i);
      const count = POPCOUNT[mask] as number;
      if (count < bestCount) {
        best = i;
        bestMask = mask;
        bestCount = count;
        if (count <= 1) break;
      }
    }
    if (best < 0) {
      this.count++;
      if (this.keepFirst && !this.first) this.first = cells.slice();
      return;
    }
    if (bestCount === 0) return;
    const digits: number[] = [];
    for (let v = 1; v <= n; v++) if (bestMask & (1 << (v - 1))) digits.push(v);
    if (rng) rng.shuffle(digits);
    const r = Math.floor(best / n);
    const c = best % n;
    const b = this.boxOf[best] as number;
    for (const v of digits) {
      const bit = 1 << (v - 1);
      cells[best] = v;
      this.rows[r] = (this.rows[r] as number) | bit;
      this.cols[c] = (this.cols[c] as number) | bit;
      this.boxes[b] = (this.boxes[b] as number) | bit;
      this.search(limit, rng);
      this.rows[r] = (this.rows[r] as number) & ~bit;
      this.cols[c] = (this.cols[c] as number) & ~bit;
      this.boxes[b] = (this.boxes[b] as number) & ~bit;
      cells[best] = 0;
      if (this.count >= limit) return;
    }
  }
}

/** Number of solutions of `grid`, counting no further than `limit` (2 answers "unique?"). */
export function countSolutions(grid: ArrayLike<number>, box: number, limit = 2): number {
  const state = new SearchState(Uint8Array.from(grid), box);
  if (!state.load()) return 0;
  state.search(limit, undefined);
  return state.count;
}

/** The first solution found (candidates in random order when `rng` is given), or undefined. */
export function solveSudoku(
  grid: ArrayLike<number>,
  box: number,
  rng?: Rng,
): Uint8Array | undefined {
  const state = new SearchState(Uint8Array.from(grid), box);
  if (!state.load()) return undefined;
  state.search(1, rng);
  return state.first;
}

/** True when `grid` is a complete valid solution: every row, column and box holds 1..N once. */
export function isSolvedGrid(grid: ArrayLike<number>, box: number): boolean {
  const n = box * box;
  if (grid.length !== n * n) return false;
  for (let i = 0; i < n * n; i++)
    if (!((grid[i] as number) >= 1 && (grid[i] as number) <= n)) return false;
  const state = new SearchState(Uint8Array.from(grid), box);
  return state.load();
}

/** A random puzzle with exactly one solution: a random full grid, then clues removed while unique. */
export function generateSudoku(box: number, rng: Rng, minClues = 0): SudokuPair {
  const n = box * box;
  const solution = solveSudoku(new Uint8Array(n * n), box, rng);
  if (!solution) throw new Error('unreachable: an empty grid always has a solution');
  // One search state is kept through the digging. Blanking a cell keeps the solution unique
  // exactly when no solution puts a different digit there, a single search for one solution.
  const state = new SearchState(solution.slice(), box);
  state.load();
  state.keepFirst = false;
  const puzzle = state.cells;
  let clues = n * n;
  for (const cell of rng.permutation(n * n)) {
    if (clues <= minClues) break;
    const value = puzzle[cell] as number;
    const bit = 1 << (value - 1);
    const r = Math.floor(cell / n);
    const c = cell % n;
    const b = state.boxOf[cell] as number;
    puzzle[cell] = 0;
    state.rows[r] = (state.rows[r] as number) & ~bit;
    state.cols[c] = (state.cols[c] as number) & ~bit;
    state.boxes[b] = (state.boxes[b] as number) & ~bit;
    state.count = 0;
    state.forbidCell = cell;
    state.forbidBit = bit;
    state.search(1, undefined);
    if (state.count === 0) {
      clues--;
      continue;
    }
    puzzle[cell] = value;
    state.rows[r] = (state.rows[r] as number) | bit;
    state.cols[c] = (state.cols[c] as number) | bit;
    state.boxes[b] = (state.boxes[b] as number) | bit;
  }
  return { puzzle: puzzle.slice(), solution };
}

/**
 * A random symmetry of the Sudoku rules applied to both grids: digit relabelling, transposition,
 * band and stack permutations, and row (column) permutations within each band (stack). Every
 * one maps valid grids to valid grids and unique puzzles to unique puzzles.
 */
export function augmentSudoku(pair: SudokuPair, box: number, rng: Rng): SudokuPair {
  const n = box * box;
  const digitMap = [0, ...rng.permutation(n).map((d) => d + 1)];
  const transpose = rng.int(2) === 1;
  const lineMap = (): number[] => {
    const bands = rng.permutation(box);
    const within = bands.map(() => rng.permutation(box));
    return Array.from({ length: n }, (_, i) => {
      const band = Math.floor(i / box);
      return (bands[band] as number) * box + ((within[band] as number[])[i % box] as number);
    });
  };
  const rowMap = lineMap();
  const colMap = lineMap();
  const apply = (grid: Uint8Array): Uint8Array => {
    const out = new Uint8Array(n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const rr = rowMap[r] as number;
        const cc = colMap[c] as number;
        const src = transpose ? cc * n + rr : rr * n + cc;
        out[r * n + c] = digitMap[grid[src] as number] as number;
      }
    }
    return out;
  };
  return { puzzle: apply(pair.puzzle), solution: apply(pair.solution) };
}
