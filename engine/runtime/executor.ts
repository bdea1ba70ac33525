import * as tf from '@tensorflow/tfjs-core';
import type { Dim } from '../graph/dims.ts';
import type { IrInput, IrOp, IrProgram } from '../graph/ir.ts';
import { evalOp, opInputs } from './ops/eval-op.ts';
import type { WeightStore } from './weights.ts';

export { opInputs } from './ops/eval-op.ts';

/**
 * The tfjs executor: evaluates an IrProgram with differentiable tfjs ops, so the same call
 * serves inference and, inside tf.variableGrads, training.
 */

export interface RunOptions {
  /** Enables Dropout. @default false */
  training?: boolean;
  /**
   * Seeds the dropout masks; each Dropout op mixes in its own name. Pass a different seed
   * per training step, or every step drops the same units.
   */
  seed?: number;
}

/** Producer of each value, per program (programs are not mutated after compile). */
const producers = new WeakMap<IrProgram, Map<string, IrOp>>();

function producerMap(program: IrProgram): Map<string, IrOp> {
  let map = producers.get(program);
  if (!map) {
    map = new Map(program.ops.map((op) => [op.out, op]));
    producers.set(program, map);
  }
  return map;
}

/** A fetch name is a program output's name, or any raw IR value name. */
function resolveFetch(program: IrProgram, name: string, weights: WeightStore): string {
  const output = program.outputs.find((o) => o.name === name);
  if (output) return output.value;
  const known =
    producerMap(program).has(name) ||
    program.inputs.some((i) => i.name === name) ||
    weights.params.has(name) ||
    weights.buffers.has(name);
  if (known) return name;
  const outputs = program.outputs.map((o) => o.name).join(', ') || 'none';
  throw new Error(
    `Cannot fetch "${name}": it is neither a program output (${outputs}) nor a value of the program.`,
  );
}

/** The ops (in program order) needed for `values`, and the program inputs they read. */
function plan(program: IrProgram, values: string[]): { ops: IrOp[]; inputs: Set<string> } {
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
    if (inputNames.has(v)) inputs.add(v);
    const op = byOut.get(v);
    if (!op) continue;
    needed.add(op);
    stack.push(...opInputs(op));
  }
  return { ops: program.ops.filter((op) => needed.has(op)), inputs };
}

function describe(input: IrInput): string {
  const what = input.role === 'tokens' ? 'token ids' : 'state';
  return `${input.dtype} ${what} of shape [${input.shape.join(', ')}]`;
}

/** Checks feeds against the program's inputs: presence (where needed), dtype, rank, dims. */
function validateFeeds(
  program: IrProgram,
  feeds: Record<string, tf.Tensor>,
  needed: Set<string>,
): void {
  const known = new Set(program.inputs.map((i) => i.name));
  for (const key of Object.keys(feeds)) {
    if (!known.has(key)) {
      throw new Error(
        `Unknown feed "${key}": the program's inputs are ${[...known].map((k) => `"${k}"`).join(', ')}.`,
      );
    }
  }
  const symbols = new Map<string, { size: number; input: string }>();
  for (const input of program.inputs) {
    const t = feeds[input.name];
    if (!t) {
      if (needed.has(input.name)) {
        throw new Error(`Missing feed "${input.name}": pass ${describe(input)}.`);
      }
      continue;
    }
    const got = `${t.dtype} [${t.shape.join(', ')}]`;
    const ok =
      t.dtype === input.dtype &&
      t.rank === input.shape.length &&
      input.shape.every((d: Dim, i) => typeof d !== 'number' || t.shape[i] === d);
    if (!ok) {
      throw new Error(
        `Feed "${input.name}" is ${got}, but the program expects ${describe(input)}.`,
      );
    }
    input.shape.forEach((d, i) => {
      if (typeof d === 'number') return;
      const size = t.shape[i] as number;
      const bound = symbols.get(d);
      if (!bound) symbols.set(d, { size, input: input.name });
      else if (bound.size !== size) {
        throw new Error(
          `Feed "${input.name}" has ${d} = ${size}, but feed "${bound.input}" has ${d} = ${bound.size}; every input must agree on ${d}.`,
        );
      }
    });
  }
}

/**
 * Evaluate only what the fetched names need (program output names or raw IR value names).
 * Feeds are keyed by program input names. Intermediate tensors are disposed before
 * returning; the returned tensors belong to the caller. Works inside tf.variableGrads.
 */
export function runProgram(
  program: IrProgram,
  weights: WeightStore,
  feeds: Record<string, tf.Tensor>,
  fetch: string[],
  opts: RunOptions = {},
): Record<string, tf.Tensor> {
  const targets = fetch.map((name) => ({ name, value: resolveFetch(program, name, weights) }));
  const { ops, inputs } = plan(
    program,
    targets.map((t) => t.value),
  );
  validateFeeds(program, feeds, inputs);
  return tf.tidy(() => {
    const env = new Map<string, tf.Tensor>();
    const external = (name: string) =>
      feeds[name] ?? weights.params.get(name) ?? weights.buffers.get(name);
    let current: IrOp | undefined;
    const get = (name: string): tf.Tensor => {
      const t = env.get(name) ?? external(name);
      if (!t) {
        const where = current ? ` (read by ${current.op} of ${current.source})` : '';
        throw new Error(`The program has no value "${name}"${where}; recompile the graph.`);
      }
      return t;
    };
    for (const op of ops) {
      current = op;
      try {
        env.set(op.out, evalOp(op, get, opts));
      } catch (e) {
        const msg = (e as Error).message;
        throw new Error(`${op.op} of ${op.source} failed: ${msg}`, { cause: e });
      }
    }
    current = undefined;
    const outside = new Set(
      [...Object.values(feeds), ...weights.params.values(), ...weights.buffers.values()].map(
        (t) => t.id,
      ),
    );
    const result: Record<string, tf.Tensor> = {};
    for (const t of targets) {
      const v = get(t.value);
      // Never hand out a feed or weight itself: the caller may dispose what it gets.
      result[t.name] = outside.has(v.id) ? tf.clone(v) : v;
    }
    return result;
  });
}
