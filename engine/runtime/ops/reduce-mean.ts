import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';

/** keepdims = 0: the axis is removed (the ONNX emitter sets keepdims accordingly). */
export const ReduceMean: Kernel<'ReduceMean'> = (op, get) => tf.mean(get(op.x), op.axis);
