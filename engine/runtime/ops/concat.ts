import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';

export const Concat: Kernel<'Concat'> = (op, get) => tf.concat(op.inputs.map(get), op.axis);
