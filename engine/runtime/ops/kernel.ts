import * as tf from '@tensorflow/tfjs-core';
import type { IrOpName, OpOf } from '../../graph/ir.ts';

export interface EvalOptions {
  /**
   * A training run: BatchNorm normalises with the batch's statistics and updates its running
   * ones; Dropout is active unless `dropout` is false.
   */
  training?: boolean;
  /** Dropout in a training run. @default true */
  dropout?: boolean;
  /**
   * Training runs: replaces the value of a running buffer (BatchNorm's statistics) with
   * `value`, which the store then owns. Absent, running statistics are left as they are.
   */
  update?: (buffer: string, value: tf.Tensor) => void;
  /** Base seed of the dropout masks. */
  seed?: number;
  /** The Loop trips being run, `@t` per enclosing Loop: one trip's masks differ from another's. */
  trip?: string;
}

/**
 * One IR op on tfjs tensors, with ONNX semantics (see engine/graph/ir/ops/). A multi-result
 * op (a recurrent cell) returns one tensor per result, in `opResults` order.
 */
export type Kernel<K extends IrOpName> = (
  op: OpOf<K>,
  get: (name: string) => tf.Tensor,
  opts: EvalOptions,
) => tf.Tensor | tf.Tensor[];

/** Every IR op's kernel: a missing one is a compile error naming the op. */
export type Kernels = { readonly [K in IrOpName]: Kernel<K> };

/** `x` sliced to `length` entries along `axis` from `start`, or a sentence saying why not. */
export function sliceAxis(
  x: tf.Tensor,
  axis: number,
  length: number,
  what: string,
  start = 0,
): tf.Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  const have = x.shape[ax] as number;
  if (start + length > have) {
    throw new Error(
      `${what} needs ${start + length} entries along axis ${ax}, but the tensor has ${have}: feed sequences of at most ${have} tokens, or raise the node's maxLength.`,
    );
  }
  if (start === 0 && length === have) return x;
  const size = x.shape.map((d, i) => (i === ax ? length : d));
  const begin = x.shape.map((_, i) => (i === ax ? start : 0));
  return tf.slice(x, begin, size);
}
