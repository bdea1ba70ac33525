import type { IrOp, IrProgram } from '../graph/ir.ts';
import { opInputs } from './ops/eval-op.ts';
import { opResults } from '../graph/ir/program.ts';

/**
 * What the executor runs for a fetch, decided before any tensor exists: the ops needed (in
 * program order), the program inputs they read, where each value is read for the last time
 * (so it can be freed there), and the detached frontier a gradient tape need not see.
 * Every walk here is iterative: an unrolled TRM has tens of thousands of ops in one chain.
 */

/** Producer of each value, per program (programs are not mutated after compile). */
const producers = new WeakMap<IrProgram, Map<string, IrOp>>();

export function producerMap(program: IrProgram): Map<string, IrOp> {
  let map = producers.get(program);
  if (!map) {
    map = new Map(program.ops.flatMap((op) => opResults(op).map((r) => [r, op] as const)));
    producers.set(program, map);
  }
  return map;
}

export interface Plan {
  /** The ops that compute the fetched values, in program order. */
  ops: IrOp[];
  /** Program inputs those ops (or the fetch itself) read. */
  inputs: Set<string>;
}

/**
 * The ops (in program order) needed for `values`, and the program inputs they read. Values in
 * `given` are taken as already computed: the walk stops there.
 */
export function planFetch(
  program: IrProgram,
  values: readonly string[],
  given: ReadonlySet<string> = new Set(),
): Plan {
  const byOut = producerMap(program);
  const inputNames = new Set(program.inputs.map((i) => i.name));
  const needed = new Set<IrOp>();
  const inputs = new Set<string>();
  const stack = [...values];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const v = stack.pop() as string;
    if (seen.has(v)) continue;
    seen.add(v);
    if (given.has(v)) continue;
    if (inputNames.has(v)) inputs.add(v);
    const op = byOut.get(v);
    if (!op) continue;
    needed.add(op);
    for (const name of opInputs(op)) stack.push(name);
  }
  return { ops: program.ops.filter((op) => needed.has(op)), inputs };
}

/**
 * The StopGradient outputs that `values` reach without crossing another StopGradient: the
 * boundary of the part a gradient flows through. Everything behind it (TRM's T_rec − 1
 * passes without gradients, earlier supervision steps) can be computed off the tape and fed
 * in as constants, with the same values.
 */
export function detachedFrontier(program: IrProgram, values: readonly string[]): string[] {
  const byOut = producerMap(program);
  const frontier: string[] = [];
  const stack = [...values];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const v = stack.pop() as string;
    if (seen.has(v)) continue;
    seen.add(v);
    const op = byOut.get(v);
    if (!op) continue;
    if (op.op === 'StopGradient') frontier.push(v);
    else for (const name of opInputs(op)) stack.push(name);
  }
  return frontier;
}

/** Index (into `ops`) of the last op that reads each value. */
export function lastReads(ops: readonly IrOp[]): Map<string, number> {
  const last = new Map<string, number>();
  ops.forEach((op, i) => {
    for (const name of opInputs(op)) last.set(name, i);
  });
  return last;
}
