import * as tf from '@tensorflow/tfjs-core';
import type { IrOpName, OpOf } from '../../graph/ir.ts';

export interface EvalOptions {
  /** Dropout is active only while training. */
  training?: boolean;
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
