import * as tf from '@tensorflow/tfjs-core';
import { hashSeed } from '../../graph/init.ts';
import { dropout } from './fused.ts';
import type { Kernel } from './kernel.ts';

/**
 * Active only in training runs that keep dropout on; each op's mask is seeded by the run seed, its value name and the
 * Loop trip it runs in (the name the value has in the expanded program, graph/ir/unroll.ts).
 */
export const Dropout: Kernel<'Dropout'> = (op, get, opts) => {
  if (!opts.training || opts.dropout === false) return tf.clone(get(op.x));
  return dropout(
    get(op.x),
    op.rate,
    opts.seed === undefined
      ? undefined
      : (opts.seed ^ hashSeed(`${op.out}${opts.trip ?? ''}`)) >>> 0,
  );
};
