/**
 * Looking inside a step-by-step solve without changing `solve`: a wrapper that hands every
 * supervision step's logits to an observer (for per-step confidence, traces, insight views).
 */
import type { StepModel } from './solve.ts';

/** Mean over cells of the winning class's softmax probability: how sure an answer is, 0–1. */
export function meanCellConfidence(logits: Float32Array, classes: number): number {
  const cells = Math.floor(logits.length / classes);
  if (cells === 0) return 0;
  let total = 0;
  for (let c = 0; c < cells; c++) {
    const row = logits.subarray(c * classes, (c + 1) * classes);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    // The winner's probability is 1 / Σ exp(v - max).
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    total += 1 / sum;
  }
  return total / cells;
}

/** `model` with `onStep(stepIndex, logits, halt)` called after every supervision step. */
export function observeSteps<State>(
  model: StepModel<State>,
  onStep: (step: number, logits: Float32Array, halt: number) => void,
): StepModel<State> {
  let step = 0;
  return {
    ...model,
    init: (puzzle, puzzleId) => {
      step = 0;
      return model.init(puzzle, puzzleId);
    },
    step: async (puzzle, state, puzzleId) => {
      const result = await model.step(puzzle, state, puzzleId);
      onStep(++step, result.logits, result.halt);
      return result;
    },
  };
}
