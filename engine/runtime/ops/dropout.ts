import * as tf from '@tensorflow/tfjs-core';
import { hashSeed } from '../../graph/init.ts';
import { dropout } from './fused.ts';
import type { Kernel } from './kernel.ts';

/** Active only while training; each op's mask is seeded by the run seed and its value name. */
export const Dropout: Kernel<'Dropout'> = (op, get, opts) => {
  if (!opts.training) return tf.clone(get(op.x));
  return dropout(
    get(op.x),
    op.rate,
    opts.seed === undefined ? undefined : (opts.seed ^ hashSeed(op.out)) >>> 0,
  );
};
