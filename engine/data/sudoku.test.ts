import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from './rng.ts';
import {
  augmentSudoku,
  countSolutions,
  generateSudoku,
  isSolvedGrid,
  solveSudoku,
} from './sudoku.ts';

const parse = (s: string): Uint8Array => Uint8Array.from(s, (ch) => (ch === '.' ? 0 : Number(ch)));
const show = (g: Uint8Array): string => Array.from(g, (v) => (v === 0 ? '.' : String(v))).join('');

// Wikipedia's example puzzle and its published solution.
const WIKI = '53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79';
const WIKI_SOLUTION =
  '534678912672195348198342567859761423426853791713924856961537284287419635345286179';

function cluesAgree(puzzle: Uint8Array, solution: Uint8Array): boolean {
  return puzzle.every((v, i) => v === 0 || v === solution[i]);
}

describe('sudoku solver', () => {
  it('solves a published puzzle to its published solution, uniquely', () => {
    const solution = solveSudoku(parse(WIKI), 3);
    assert.ok(solution);
    assert.equal(show(solution), WIKI_SOLUTION);
    assert.equal(countSolutions(parse(WIKI), 3), 1);
    assert.ok(isSolvedGrid(solution, 3));
  });

  it('counts the 288 complete 4×4 grids from an empty board', () => {
    assert.equal(countSolutions(new Uint8Array(16), 2, 1000), 288);
  });

  it('sees several solutions after a clue is removed from a minimal puzzle, none after a clash', () => {
    const clash = parse(WIKI);
    clash[2] = 5; // a second 5 in row 0
    assert.equal(countSolutions(clash, 3), 0);
    assert.equal(solveSudoku(clash, 3), undefined);
    assert.ok(!isSolvedGrid(parse(WIKI_SOLUTION.replace('534', '535')), 3));
  });
});

describe('sudoku generator', () => {
  it('makes 4×4 puzzles with exactly one solution, which is the stored one, and every clue needed', () => {
    for (let i = 0; i < 200; i++) {
      const { puzzle, solution } = generateSudoku(2, Rng.of(7, i));
      assert.ok(isSolvedGrid(solution, 2));
      assert.ok(cluesAgree(puzzle, solution));
      assert.equal(countSolutions(puzzle, 2), 1);
      assert.equal(show(solveSudoku(puzzle, 2) as Uint8Array), show(solution));
      // minimal: removing any remaining clue breaks uniqueness
      for (let c = 0; c < 16; c++) {
        if (puzzle[c] === 0) continue;
        const fewer = puzzle.slice();
        fewer[c] = 0;
        assert.equal(countSolutions(fewer, 2), 2);
      }
    }
  });

  it('makes 9×9 puzzles with exactly one solution', () => {
    for (let i = 0; i < 20; i++) {
      const { puzzle, solution } = generateSudoku(3, Rng.of(3, i));
      assert.ok(isSolvedGrid(solution, 3));
      assert.ok(cluesAgree(puzzle, solution));
      assert.equal(countSolutions(puzzle, 3), 1);
      const clues = puzzle.filter((v) => v > 0).length;
      assert.ok(clues >= 17 && clues < 40, `${clues} clues`);
    }
  });

  it('keeps at least minClues clues', () => {
    for (let i = 0; i < 20; i++) {
      const { puzzle } = generateSudoku(2, Rng.of(9, i), 8);
      assert.ok(puzzle.filter((v) => v > 0).length >= 8);
      assert.equal(countSolutions(puzzle, 2), 1);
    }
  });

  it('is deterministic in the generator seed', () => {
    assert.equal(
      show(generateSudoku(3, Rng.of(1, 2)).puzzle),
      show(generateSudoku(3, Rng.of(1, 2)).puzzle),
    );
    assert.notEqual(
      show(generateSudoku(3, Rng.of(1, 2)).puzzle),
      show(generateSudoku(3, Rng.of(1, 3)).puzzle),
    );
  });
});

describe('sudoku augmentation', () => {
  it('keeps grids valid, clues consistent and the solution unique', () => {
    const base = { puzzle: parse(WIKI), solution: parse(WIKI_SOLUTION) };
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { puzzle, solution } = augmentSudoku(base, 3, Rng.of(5, i));
      assert.ok(isSolvedGrid(solution, 3));
      assert.ok(cluesAgree(puzzle, solution));
      assert.equal(puzzle.filter((v) => v > 0).length, 30);
      assert.equal(countSolutions(puzzle, 3), 1);
      assert.equal(show(solveSudoku(puzzle, 3) as Uint8Array), show(solution));
      seen.add(show(puzzle));
    }
    assert.ok(seen.size >= 45, 'augmentations are varied');
  });

  it('keeps 4×4 puzzles unique', () => {
    for (let i = 0; i < 100; i++) {
      const base = generateSudoku(2, Rng.of(11, i));
      const { puzzle, solution } = augmentSudoku(base, 2, Rng.of(12, i));
      assert.ok(isSolvedGrid(solution, 2));
      assert.ok(cluesAgree(puzzle, solution));
      assert.equal(countSolutions(puzzle, 2), 1);
    }
  });
});
