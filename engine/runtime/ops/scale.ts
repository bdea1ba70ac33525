import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';

export const Scale: Kernel<'Scale'> = (op, get) => tf.mul(get(op.x), tf.scalar(op.factor));
