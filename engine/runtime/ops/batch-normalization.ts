import * as tf from '@tensorflow/tfjs-core';
import { untaped } from '../untaped.ts';
import type { Kernel } from './kernel.ts';

/**
 * Composed of differentiable tfjs ops, so tfjs derives the gradient (in a training run it
 * flows through the batch statistics, as PyTorch's does). The running statistics are updated
 * off the tape: they are state, not part of the loss.
 */
export const BatchNormalization: Kernel<'BatchNormalization'> = (op, get, opts) => {
  const x = get(op.x);
  let normed: tf.Tensor;
  if (opts.training) {
    // Statistics over every axis but the channel (last) one: [B, ..., C] -> [C].
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const count = x.size / (x.shape[x.rank - 1] as number);
    if (count < 2)
      throw new Error(
        `BatchNorm needs more than one value per channel in training, but the batch has ${count}: train with a batch (times positions) of at least 2.`,
      );
    const mean = tf.mean(x, axes);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), axes);
    normed = tf.mul(centered, tf.rsqrt(tf.add(variance, tf.scalar(op.epsilon))));
    if (opts.update) {
      const m = op.momentum;
      const [runMean, runVar] = untaped(() => [
        tf.add(tf.mul(get(op.mean), 1 - m), tf.mul(mean, m)),
        // The running variance is the unbiased one: n / (n − 1) times the biased.
        tf.add(tf.mul(get(op.var), 1 - m), tf.mul(variance, (m * count) / (count - 1))),
      ]);
      opts.update(op.mean, runMean!);
      opts.update(op.var, runVar!);
    }
  } else {
    const std = tf.rsqrt(tf.add(get(op.var), tf.scalar(op.epsilon)));
    normed = tf.mul(tf.sub(x, get(op.mean)), std);
  }
  const y = op.scale ? tf.mul(normed, get(op.scale)) : normed;
  return op.bias ? tf.add(y, get(op.bias)) : y;
};
