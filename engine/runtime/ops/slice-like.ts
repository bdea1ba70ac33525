import * as tf from '@tensorflow/tfjs-core';
import { sliceAxis, type Kernel } from './kernel.ts';

export const SliceLike: Kernel<'SliceLike'> = (op, get) => {
  const like = get(op.like);
  const ax = op.likeAxis < 0 ? op.likeAxis + like.rank : op.likeAxis;
  const length = like.shape[ax] as number;
  if (!op.offsetLike && !op.start) return sliceAxis(get(op.x), op.axis, length, 'SliceLike');
  // Positions s+P..s+P+T−1 after a KV cache of length P, from a fixed first position s.
  const start = (op.start ?? 0) + (op.offsetLike ? (get(op.offsetLike).shape[1] as number) : 0);
  const x = sliceAxis(get(op.x), op.axis, start + length, 'SliceLike');
  const ax0 = op.axis < 0 ? op.axis + x.rank : op.axis;
  const begin = x.shape.map((_, i) => (i === ax0 ? start : 0));
  const size = x.shape.map((d, i) => (i === ax0 ? length : d));
  return tf.slice(x, begin, size);
};
