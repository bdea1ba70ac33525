import type { Kernel } from './kernel.ts';

/**
 * The executor expands Loops into their trips before it evaluates a program
 * (engine/graph/ir/unroll.ts), so a Loop never reaches a kernel; one that does was built by
 * hand around the executor.
 */
export const Loop: Kernel<'Loop'> = (op) => {
  throw new Error(
    `The Loop from ${op.source} reached the tfjs executor unexpanded; run programs through runProgram, which unrolls Loops.`,
  );
};
