import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';

/** Composed of differentiable tfjs ops, so tfjs derives the gradient. */
export const GroupNormalization: Kernel<'GroupNormalization'> = (op, get) => {
  const x = get(op.x);
  const channels = x.shape[x.rank - 1] as number;
  // [B, ..., C] -> [B, L, G, C/G]: statistics per example and group, over axes 1 and 3.
  const grouped = tf.reshape(x, [x.shape[0] as number, -1, op.groups, channels / op.groups]);
  const centered = tf.sub(grouped, tf.mean(grouped, [1, 3], true));
  const variance = tf.mean(tf.square(centered), [1, 3], true);
  const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, tf.scalar(op.epsilon))));
  // [B, L, G, C/G] -> [B, ..., C]
  let y = tf.reshape(normed, x.shape);
  if (op.scale) y = tf.mul(y, get(op.scale));
  return op.bias ? tf.add(y, get(op.bias)) : y;
};
