import * as tf from '@tensorflow/tfjs-core';
import { hashSeed } from '../graph/compile.ts';
import type { Dim } from '../graph/dims.ts';
import type { IrInput, IrOp, IrProgram } from '../graph/ir.ts';
import {
  attention,
  dropout,
  gelu,
  layerNormalization,
  rmsNormalization,
  rotaryEmbedding,
  silu,
} from './ops/fused.ts';
import './ops/gradients.ts';
import { gather, matMul, stopGradient } from './ops/primitives.ts';
import type { WeightStore } from './weights.ts';

/**
 * The tfjs executor: evaluates an IrProgram with differentiable tfjs ops, so the same call
 * serves inference and, inside tf.variableGrads, training.
 */

export interface RunOptions {
  /** Enables Dropout. @default false */
  training?: boolean;
  /** Seeds the dropout masks (each Dropout op gets its own stream). */
  seed?: number;
}

/** Names of the values an op reads, in its operand order. */
export function opInputs(op: IrOp): string[] {
  switch (op.op) {
    case 'MatMul':
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return [op.a, op.b];
    case 'Gather':
      return [op.data, op.indices];
    case 'Attention':
      return [op.q, op.k, op.v];
    case 'LayerNormalization':
      return [op.x, ...(op.scale ? [op.scale] : []), ...(op.bias ? [op.bias] : [])];
    case 'RMSNormalization':
      return [op.x, ...(op.scale ? [op.scale] : [])];
    case 'SliceLike':
    case 'BroadcastLike':
      return [op.x, op.like];
    case 'Scale':
    case 'Reshape':
    case 'Transpose':
    case 'Softmax':
    case 'ReduceMean':
    case 'Relu':
    case 'Sigmoid':
    case 'Silu':
    case 'Tanh':
    case 'Identity':
    case 'StopGradient':
    case 'Gelu':
    case 'Dropout':
    case 'RotaryEmbedding':
    case 'SlicePrefix':
      return [op.x];
  }
}

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

function sliceAxis(x: tf.Tensor, axis: number, length: number, what: string): tf.Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  const have = x.shape[ax] as number;
  if (length > have) {
    throw new Error(
      `${what} needs ${length} entries along axis ${ax}, but the tensor has ${have}.`,
    );
  }
  if (length === have) return x;
  const size = x.shape.map((d, i) => (i === ax ? length : d));
  return tf.slice(x, new Array<number>(x.rank).fill(0), size);
}

function softmax(x: tf.Tensor, axis: number): tf.Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  if (ax === x.rank - 1) return tf.softmax(x);
  // tfjs only normalizes the last axis: move `axis` there and back.
  const perm = [...Array(x.rank).keys()].filter((i) => i !== ax).concat(ax);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return tf.transpose(tf.softmax(tf.transpose(x, perm)), inverse);
}

function evalOp(op: IrOp, get: (name: string) => tf.Tensor, opts: RunOptions): tf.Tensor {
  switch (op.op) {
    case 'MatMul':
      return matMul(get(op.a), get(op.b));
    case 'Add':
      return tf.add(get(op.a), get(op.b));
    case 'Sub':
      return tf.sub(get(op.a), get(op.b));
    case 'Mul':
      return tf.mul(get(op.a), get(op.b));
    case 'Div':
      return tf.div(get(op.a), get(op.b));
    case 'Scale':
      return tf.mul(get(op.x), tf.scalar(op.factor));
    case 'Gather':
      return gather(get(op.data), get(op.indices));
    case 'Reshape': {
      const x = get(op.x);
      // ONNX: 0 copies the input's dim, -1 is inferred.
      return tf.reshape(
        x,
        op.shape.map((d, i) => (d === 0 ? (x.shape[i] as number) : d)),
      );
    }
    case 'Transpose':
      return tf.transpose(get(op.x), op.perm);
    case 'Softmax':
      return softmax(get(op.x), op.axis);
    case 'ReduceMean':
      // keepdims = 0: the axis is removed (the ONNX emitter sets keepdims accordingly).
      return tf.mean(get(op.x), op.axis);
    case 'Relu':
      return tf.relu(get(op.x));
    case 'Sigmoid':
      return tf.sigmoid(get(op.x));
    case 'Silu':
      return silu(get(op.x));
    case 'Tanh':
      return tf.tanh(get(op.x));
    case 'Identity':
      return tf.clone(get(op.x));
    case 'StopGradient':
      return stopGradient(get(op.x));
    case 'Gelu':
      return gelu(get(op.x), op.approximate);
    case 'Dropout':
      if (!opts.training) return tf.clone(get(op.x));
      return dropout(
        get(op.x),
        op.rate,
        opts.seed === undefined ? undefined : (opts.seed ^ hashSeed(op.out)) >>> 0,
      );
    case 'LayerNormalization':
      return layerNormalization(
        get(op.x),
        op.scale ? get(op.scale) : undefined,
        op.bias ? get(op.bias) : undefined,
        op.epsilon,
      );
    case 'RMSNormalization':
      return rmsNormalization(get(op.x), op.scale ? get(op.scale) : undefined, op.epsilon);
    case 'Attention':
      return attention(get(op.q), get(op.k), get(op.v), op.qHeads, op.kvHeads, op.causal);
    case 'RotaryEmbedding':
      return rotaryEmbedding(get(op.x), op.heads, op.theta);
    case 'SlicePrefix':
      return sliceAxis(get(op.x), op.axis, op.length, 'SlicePrefix');
    case 'SliceLike': {
      const like = get(op.like);
      const ax = op.likeAxis < 0 ? op.likeAxis + like.rank : op.likeAxis;
      return sliceAxis(get(op.x), op.axis, like.shape[ax] as number, 'SliceLike');
    }
    case 'BroadcastLike': {
      const x = get(op.x);
      const like = get(op.like);
      const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, like.shape);
      return tf.broadcastTo(x, shape);
    }
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
