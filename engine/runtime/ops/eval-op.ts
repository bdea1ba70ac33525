import * as tf from '@tensorflow/tfjs-core';
import { hashSeed } from '../../graph/init.ts';
import type { IrOp } from '../../graph/ir.ts';
import {
  attention,
  dropout,
  gelu,
  layerNormalization,
  rmsNormalization,
  rotaryEmbedding,
  silu,
} from './fused.ts';
import './gradients.ts';
import { gather, matMul, stopGradient } from './primitives.ts';

/** One IR op on tfjs tensors, with ONNX semantics (see engine/graph/ir.ts). */

export interface EvalOptions {
  /** Dropout is active only while training. */
  training?: boolean;
  /** Base seed of the dropout masks. */
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
      return [op.x, op.like, ...(op.offsetLike ? [op.offsetLike] : [])];
    case 'BroadcastLike':
      return [op.x, op.like];
    case 'Concat':
      return [...op.inputs];
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
    case 'SlicePrefix':
      return [op.x];
    case 'RotaryEmbedding':
      return [op.x, ...(op.offsetLike ? [op.offsetLike] : [])];
  }
}

function sliceAxis(x: tf.Tensor, axis: number, length: number, what: string, start = 0): tf.Tensor {
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

/** Out-of-range ids would read garbage on wasm and throw a bare error on cpu: name them. */
function checkIds(ids: tf.Tensor, rows: number, name: string): void {
  if (ids.dtype !== 'int32') {
    throw new Error(`Gather needs int32 ids, but "${name}" is ${ids.dtype}.`);
  }
  const values = ids.dataSync();
  for (let i = 0; i < values.length; i++) {
    const id = values[i] as number;
    if (id < 0 || id >= rows) {
      throw new Error(
        `Token id ${id} in "${name}" is outside the vocabulary [0, ${rows}): encode the input with this model's tokenizer, or raise vocab.`,
      );
    }
  }
}

function softmax(x: tf.Tensor, axis: number): tf.Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  if (ax === x.rank - 1) return tf.softmax(x);
  // tfjs only normalizes the last axis: move `axis` there and back.
  const perm = [...Array(x.rank).keys()].filter((i) => i !== ax).concat(ax);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return tf.transpose(tf.softmax(tf.transpose(x, perm)), inverse);
}

export function evalOp(op: IrOp, get: (name: string) => tf.Tensor, opts: EvalOptions): tf.Tensor {
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
    case 'Gather': {
      const data = get(op.data);
      const ids = get(op.indices);
      checkIds(ids, data.shape[0] as number, op.indices);
      return gather(data, ids);
    }
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
      return attention(
        get(op.q),
        get(op.k),
        get(op.v),
        op.qHeads,
        op.kvHeads,
        op.causal,
        op.bottomRight,
      );
    case 'RotaryEmbedding':
      return rotaryEmbedding(
        get(op.x),
        op.heads,
        op.theta,
        op.offsetLike ? (get(op.offsetLike).shape[1] as number) : 0,
      );
    case 'Concat':
      return tf.concat(op.inputs.map(get), op.axis);
    case 'SlicePrefix':
      return sliceAxis(get(op.x), op.axis, op.length, 'SlicePrefix', op.start ?? 0);
    case 'SliceLike': {
      const like = get(op.like);
      const ax = op.likeAxis < 0 ? op.likeAxis + like.rank : op.likeAxis;
      const length = like.shape[ax] as number;
      if (!op.offsetLike) return sliceAxis(get(op.x), op.axis, length, 'SliceLike');
      // Positions P..P+T−1 after a KV cache of length P.
      const start = get(op.offsetLike).shape[1] as number;
      const x = sliceAxis(get(op.x), op.axis, start + length, 'SliceLike');
      const ax0 = op.axis < 0 ? op.axis + x.rank : op.axis;
      const begin = x.shape.map((_, i) => (i === ax0 ? start : 0));
      const size = x.shape.map((d, i) => (i === ax0 ? length : d));
      return tf.slice(x, begin, size);
    }
    case 'BroadcastLike': {
      const x = get(op.x);
      const like = get(op.like);
      const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, like.shape);
      return tf.broadcastTo(x, shape);
    }
  }
}
