import * as tf from '@tensorflow/tfjs-core';
import type { Dim } from '../graph/dims.ts';
import type { IrInput, IrOp, IrProgram, OpOf } from '../graph/ir.ts';
import { puzzleIdProblem, puzzleTable } from '../graph/puzzle-input.ts';
import { evalOp, opInputs, type EvalOptions } from './ops/eval-op.ts';
import { opResults } from '../graph/ir/program.ts';
import { detachedFrontier, lastReads, planFetch, producerMap } from './plan.ts';
import { tapeIsOn, untaped } from './untaped.ts';
import type { WeightStore } from './weights.ts';

export { opInputs } from './ops/eval-op.ts';

/**
 * The tfjs executor: evaluates an IrProgram with differentiable tfjs ops, so the same call
 * serves inference and, inside tf.variableGrads, training. Memory follows the live values,
 * not the program's length: each value is freed after its last reader, and on a gradient
 * tape the detached part (behind StopGradient) runs off the tape, so a deep recursion with
 * one differentiated pass holds that pass's activations and nothing of the others.
 */

export interface RunOptions {
  /**
   * A training run: Dropout drops (unless `dropout` is false), and BatchNorm normalises with
   * the batch's statistics and writes its updated running statistics into the weight store's
   * running buffers. @default false
   */
  training?: boolean;
  /** Dropout in a training run. @default true */
  dropout?: boolean;
  /**
   * Seeds the dropout masks; each Dropout op mixes in its own name. Pass a different seed
   * per training step, or every step drops the same units.
   */
  seed?: number;
  /** Set by the executor inside Loop trips (see EvalOptions.trip). */
  trip?: string;
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

function describe(input: IrInput): string {
  const what =
    input.role === 'tokens' ? 'token ids' : input.role === 'puzzle' ? 'puzzle ids' : 'state';
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
    if (input.role === 'puzzle') checkPuzzleIds(program, t);
  }
}

/** Ids outside the per-puzzle table are named with the table's size (Gather would only say "token"). */
function checkPuzzleIds(program: IrProgram, ids: tf.Tensor): void {
  const table = puzzleTable(program);
  const problem = table && puzzleIdProblem(ids.dataSync(), table);
  if (problem) throw new Error(problem);
}

/** Where a run's tensors come from, and what it must not free. */
interface Scope {
  /** Feeds, weights and buffers: the caller's tensors. */
  external: (name: string) => tf.Tensor | undefined;
  /** Values that must outlive the run: the fetched ones. */
  keep: ReadonlySet<string>;
  opts: EvalOptions;
}

/**
 * Runs `ops` in order into `env` (which may hold values computed before), freeing every
 * computed value right after its last reader unless the scope keeps it. On a gradient tape
 * that frees only what no gradient saved; off the tape it keeps the working set to the
 * values still to be read, however long the unrolled program.
 */
function evaluate(ops: readonly IrOp[], env: Map<string, tf.Tensor>, scope: Scope): void {
  const last = lastReads(ops);
  let current: IrOp | undefined;
  const get = (name: string): tf.Tensor => {
    const t = env.get(name) ?? scope.external(name);
    if (!t) {
      const where = current ? ` (read by ${current.op} of ${current.source})` : '';
      throw new Error(`The program has no value "${name}"${where}; recompile the graph.`);
    }
    return t;
  };
  ops.forEach((op, i) => {
    current = op;
    const reads = opInputs(op);
    if (op.op === 'Loop') {
      let results: tf.Tensor[];
      try {
        results = runLoop(op, get, (name) => env.get(name) ?? scope.external(name), scope);
      } catch (e) {
        const msg = (e as Error).message;
        throw new Error(`Loop of ${op.source} failed: ${msg}`, { cause: e });
      }
      op.results.forEach((name, k) => env.set(name, results[k] as tf.Tensor));
      for (const name of reads) {
        if (last.get(name) !== i || scope.keep.has(name)) continue;
        env.get(name)?.dispose();
        env.delete(name);
      }
      return;
    }
    let outs: tf.Tensor[];
    try {
      // Its own scope: the temporaries of a composite op go when it returns.
      const out = tf.tidy(() => evalOp(op, get, scope.opts));
      outs = Array.isArray(out) ? out : [out];
    } catch (e) {
      const msg = (e as Error).message;
      throw new Error(`${op.op} of ${op.source} failed: ${msg}`, { cause: e });
    }
    // An op may hand back its operand itself (a slice to full length): own a separate handle,
    // so freeing the operand does not free the result.
    const operand = (t: tf.Tensor) =>
      reads.some((name) => env.get(name) === t || scope.external(name) === t);
    opResults(op).forEach((name, k) => {
      const out = outs[k] as tf.Tensor;
      // A result nothing reads (an LSTM's final cell state) is freed at once.
      if (!last.has(name) && !scope.keep.has(name)) {
        if (!operand(out)) out.dispose();
        return;
      }
      env.set(name, operand(out) ? tf.clone(out) : out);
    });
    for (const name of reads) {
      if (last.get(name) !== i || scope.keep.has(name)) continue;
      env.get(name)?.dispose();
      env.delete(name);
    }
  });
}

/**
 * A Loop, trip by trip: the body runs with its carried names bound to the previous trip's
 * values, and each trip's values are freed after their last read and when the trip ends. A
 * trip without gradients (before the last `gradSteps`) runs off the tape, so its results are
 * constants to the gradient, as behind a StopGradient; on the tape, the other trips record
 * as any op does. The same kernels in the same order as the expanded program
 * (graph/ir/unroll.ts), dropout masks included. Returns the carried values, then the finals.
 */
function runLoop(
  op: OpOf<'Loop'>,
  get: (name: string) => tf.Tensor,
  lookup: (name: string) => tf.Tensor | undefined,
  scope: Scope,
): tf.Tensor[] {
  const { body } = op;
  const owned = new Set<tf.Tensor>();
  let carried = op.init.map(get);
  let finals: tf.Tensor[] = [];
  for (let t = 0; t < op.trips; t++) {
    const bound = new Map(body.carried.map((name, k) => [name, carried[k] as tf.Tensor]));
    const last = t === op.trips - 1;
    const wanted = last ? [...body.next, ...body.finals] : body.next;
    const inner: Scope = {
      external: (name) => bound.get(name) ?? lookup(name),
      keep: new Set(wanted),
      opts: { ...scope.opts, trip: `${scope.opts.trip ?? ''}@${t}` },
    };
    const trip = () => {
      const env = new Map<string, tf.Tensor>();
      evaluate(body.ops, env, inner);
      const out = wanted.map((name) => {
        const v = env.get(name);
        if (v) {
          env.delete(name);
          return v;
        }
        // A body that returns a value it did not compute (a carried or outer value).
        return tf.clone(inner.external(name) as tf.Tensor);
      });
      for (const v of env.values()) v.dispose();
      return out;
    };
    const out = t < op.trips - op.gradSteps && tapeIsOn() ? untaped(trip) : trip();
    for (const v of carried) if (owned.has(v)) v.dispose();
    carried = out.slice(0, body.next.length);
    for (const v of carried) owned.add(v);
    if (last) finals = out.slice(body.next.length);
  }
  return [...carried, ...finals];
}

/**
 * On a gradient tape: the values behind the StopGradient frontier of `values`, computed with
 * the tape paused (nothing recorded, every intermediate freed as it goes). They are the same
 * values the taped run would compute, and constants to the gradient either way.
 */
function detachedValues(
  program: IrProgram,
  values: readonly string[],
  scope: Scope,
): Map<string, tf.Tensor> {
  const frontier = detachedFrontier(program, values);
  if (frontier.length === 0) return new Map();
  const { ops } = planFetch(program, frontier);
  const computed = untaped(() => {
    const env = new Map<string, tf.Tensor>();
    evaluate(ops, env, { ...scope, keep: new Set(frontier) });
    return frontier.map((name) => env.get(name) ?? tf.clone(scope.external(name)!));
  });
  // Plain handles in the run's scope, so they are freed like any other value.
  return new Map(
    frontier.map((name, i) => {
      const kept = computed[i]!;
      const plain = tf.clone(kept);
      kept.dispose();
      return [name, plain];
    }),
  );
}

/**
 * How a training run's ops update running buffers: the store's tensor is replaced by the new
 * value (kept, off the tape), so later reads in the run, checkpoints and exports see it.
 */
function runningUpdate(program: IrProgram, weights: WeightStore) {
  return (name: string, value: tf.Tensor): void => {
    const old = weights.buffers.get(name);
    if (!program.buffers.get(name)?.running || !old) {
      value.dispose();
      throw new Error(
        `The program updates "${name}", which is not a running buffer of the model; recompile the graph.`,
      );
    }
    weights.buffers.set(name, value);
    old.dispose();
  };
}

/**
 * Evaluate only what the fetched names need (program output names or raw IR value names).
 * Feeds are keyed by program input names. Intermediate tensors are freed as soon as nothing
 * reads them; the returned tensors belong to the caller. Works inside tf.variableGrads, where
 * the detached part of the program runs off the tape.
 */
export function runProgram(
  source: IrProgram,
  weights: WeightStore,
  feeds: Record<string, tf.Tensor>,
  fetch: string[],
  opts: RunOptions = {},
): Record<string, tf.Tensor> {
  const program = source;
  const targets = fetch.map((name) => ({ name, value: resolveFetch(program, name, weights) }));
  const values = targets.map((t) => t.value);
  validateFeeds(program, feeds, planFetch(program, values).inputs);
  const scope: Scope = {
    external: (name) => feeds[name] ?? weights.params.get(name) ?? weights.buffers.get(name),
    keep: new Set(values),
    opts: opts.training ? { ...opts, update: runningUpdate(program, weights) } : opts,
  };
  return tf.tidy(() => {
    const env = tapeIsOn() ? detachedValues(program, values, scope) : new Map<string, tf.Tensor>();
    evaluate(planFetch(program, values, new Set(env.keys())).ops, env, scope);
    const outside = new Set(
      [...Object.values(feeds), ...weights.params.values(), ...weights.buffers.values()].map(
        (t) => t.id,
      ),
    );
    const result: Record<string, tf.Tensor> = {};
    for (const t of targets) {
      const v = env.get(t.value) ?? scope.external(t.value);
      if (!v) throw new Error(`The program has no value "${t.value}"; recompile the graph.`);
      // Never hand out a feed or weight itself: the caller may dispose what it gets.
      result[t.name] = outside.has(v.id) ? tf.clone(v) : v;
    }
    return result;
  });
}
