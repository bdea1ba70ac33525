import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';

export const BroadcastLike: Kernel<'BroadcastLike'> = (op, get) => {
  const x = get(op.x);
  const like = get(op.like);
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, like.shape);
  return tf.broadcastTo(x, shape);
};
