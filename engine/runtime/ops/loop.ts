import type { Kernel } from './kernel.ts';

/**
 * A Loop holds a sub-program, so the executor runs it itself (executor.ts, `runLoop`: trip by
 * trip, gradient-free trips off the tape); no single-tensor kernel can. Reaching this means a
 * Loop was evaluated op by op outside the executor.
 */
export const Loop: Kernel<'Loop'> = (op) => {
  throw new Error(
    `The Loop from ${op.source} was evaluated as a single op; run programs through runProgram, which runs Loops trip by trip.`,
  );
};
