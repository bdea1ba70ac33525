import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';

export const Transpose: Kernel<'Transpose'> = (op, get) => tf.transpose(get(op.x), op.perm);
