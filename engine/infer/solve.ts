/**
 * Solving a puzzle with a recursive reasoning model, one supervision step at a time, so the
 * host can stop as soon as the halting head says the answer is final (TRM's early halting).
 * The model side is pluggable: the tfjs executor on a `step` program or an ONNX session of
 * a step export.
 */

import { argmax } from './sampling.ts';

export interface StepResult<State> {
  /** Per-cell class logits, [length * classes] for one example. */
  logits: Float32Array;
  /** The halting logit: > 0 means "already right, stop". */
  halt: number;
  state: State;
}

/**
 * `puzzleId`: the puzzle's id, for a model with a per-puzzle embedding table (ARC: one per
 * task); models without one ignore it. @default 0 (the blank id)
 */
export interface StepModel<State> {
  classes: number;
  supervisionSteps: number;
  init(puzzle: Int32Array, puzzleId?: number): Promise<State>;
  step(puzzle: Int32Array, state: State, puzzleId?: number): Promise<StepResult<State>>;
  dispose?(state: State): void;
}

export interface SolveTrace {
  /** The answer after each supervision step (argmax per cell). */
  answers: Int32Array[];
  halts: number[];
  /** Steps run before halting (or all of them). */
  stepsUsed: number;
  halted: boolean;
  answer: Int32Array;
}

/** Per-cell argmax of [cells * classes] logits. */
export function argmaxCells(logits: Float32Array, classes: number): Int32Array {
  const cells = logits.length / classes;
  const out = new Int32Array(cells);
  for (let c = 0; c < cells; c++) out[c] = argmax(logits.subarray(c * classes, (c + 1) * classes));
  return out;
}

export async function solve<State>(
  model: StepModel<State>,
  puzzle: Int32Array,
  opts: {
    earlyHalt?: boolean;
    onStep?: (step: number, answer: Int32Array, halt: number) => void;
    /** The puzzle's id for a per-puzzle embedding table. @default 0 */
    puzzleId?: number;
  } = {},
): Promise<SolveTrace> {
  const earlyHalt = opts.earlyHalt ?? true;
  const id = opts.puzzleId ?? 0;
  let state: State = await model.init(puzzle, id);
  const answers: Int32Array[] = [];
  const halts: number[] = [];
  let halted = false;
  // The live state is disposed even when a step or a callback throws part-way.
  try {
    for (let s = 0; s < model.supervisionSteps; s++) {
      const result = await model.step(puzzle, state, id);
      model.dispose?.(state);
      state = result.state;
      const answer = argmaxCells(result.logits, model.classes);
      answers.push(answer);
      halts.push(result.halt);
      opts.onStep?.(s + 1, answer, result.halt);
      if (earlyHalt && result.halt > 0) {
        halted = true;
        break;
      }
    }
  } finally {
    model.dispose?.(state);
  }
  return {
    answers,
    halts,
    stepsUsed: answers.length,
    halted,
    answer: answers[answers.length - 1] ?? new Int32Array(0),
  };
}
