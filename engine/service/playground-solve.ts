import { countSolutions, solveSudoku } from '../data/sudoku.ts';
import { puzzleIdProblem, puzzleTable } from '../graph/puzzle-input.ts';
import { solve } from '../infer/solve.ts';
import { meanCellConfidence, observeSteps } from '../infer/step-trace.ts';
import type { ParsedParams, SolveResult } from '../contract/api.ts';
import { ServiceError } from './errors.ts';
import type { PlaygroundModel } from './playground-model.ts';

/** Sudoku tokens (blank 1, digit d → d + 1) → the solution's tokens, when exactly one exists. */
export function uniqueSudokuSolution(puzzle: readonly number[]): number[] | null {
  const side = Math.round(Math.sqrt(puzzle.length));
  const box = Math.round(Math.sqrt(side));
  if (box * box !== side || side * side !== puzzle.length) return null;
  const values = puzzle.map((t) => (t >= 2 ? t - 1 : 0));
  if (countSolutions(values, box, 2) !== 1) return null;
  const solved = solveSudoku(values, box);
  return solved ? Array.from(solved, (v) => v + 1) : null;
}

function checkCells(m: PlaygroundModel, puzzle: readonly number[], what: string): void {
  const info = m.info.puzzle!;
  if (puzzle.length !== info.cells) {
    throw new ServiceError(
      'bad-puzzle',
      `The ${what} has ${puzzle.length} cells but ${m.info.name} solves ${info.cells}-cell puzzles; give ${info.cells} cells.`,
    );
  }
  const bad = puzzle.findIndex((t) => t < 1 || t >= info.symbols.length);
  if (bad >= 0) {
    throw new ServiceError(
      'bad-puzzle',
      `Cell ${bad + 1} of the ${what} holds token ${puzzle[bad]}, which ${m.info.name} does not know (it takes 1–${info.symbols.length - 1}).`,
    );
  }
}

/** `infer.solve`: run the supervision steps, stopping at the halting head's word. */
export async function solvePuzzle(
  m: PlaygroundModel,
  p: ParsedParams<'infer.solve'>,
): Promise<SolveResult> {
  if (m.info.kind !== 'puzzle' || !m.info.puzzle) {
    throw new ServiceError(
      'not-a-puzzle-model',
      `${m.info.name} is ${m.info.kind === 'seq2seq' ? 'an encoder–decoder' : 'a language model'}; it does not solve puzzles. Pick a puzzle model (a TRM run on Sudoku or mazes).`,
    );
  }
  checkCells(m, p.puzzle, 'puzzle');
  if (p.solution) checkCells(m, p.solution, 'solution');
  const table = puzzleTable(m.model.program);
  const badId = table && puzzleIdProblem([p.puzzleId], table);
  if (badId) throw new ServiceError('bad-puzzle', badId);
  const confidences: number[] = [];
  const classes = m.info.puzzle.symbols.length;
  const stepModel = observeSteps(m.model.stepModel(), (_step, logits) =>
    confidences.push(meanCellConfidence(logits, classes)),
  );
  const started = performance.now();
  const trace = await solve(stepModel, Int32Array.from(p.puzzle), {
    earlyHalt: p.earlyHalt,
    puzzleId: p.puzzleId,
  });
  const millis = performance.now() - started;
  const answer = Array.from(trace.answer);
  const solution = p.solution ?? (m.info.task === 'sudoku' ? uniqueSudokuSolution(p.puzzle) : null);
  return {
    answer,
    steps: trace.answers.map((a, i) => ({
      answer: Array.from(a),
      halt: trace.halts[i] as number,
      confidence: confidences[i] as number,
    })),
    stepsUsed: trace.stepsUsed,
    supervisionSteps: stepModel.supervisionSteps,
    halted: trace.halted,
    solution,
    wrong: solution ? answer.flatMap((t, i) => (t === solution[i] ? [] : [i])) : null,
    millis,
  };
}
