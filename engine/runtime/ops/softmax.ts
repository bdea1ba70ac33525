import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';

export const Softmax: Kernel<'Softmax'> = (op, get) => {
  const x = get(op.x);
  const ax = op.axis < 0 ? op.axis + x.rank : op.axis;
  if (ax === x.rank - 1) return tf.softmax(x);
  // tfjs only normalizes the last axis: move `axis` there and back.
  const perm = [...Array(x.rank).keys()].filter((i) => i !== ax).concat(ax);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return tf.transpose(tf.softmax(tf.transpose(x, perm)), inverse);
};
