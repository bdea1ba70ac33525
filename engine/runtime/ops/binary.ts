import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';

export const Add: Kernel<'Add'> = (op, get) => tf.add(get(op.a), get(op.b));
export const Sub: Kernel<'Sub'> = (op, get) => tf.sub(get(op.a), get(op.b));
export const Mul: Kernel<'Mul'> = (op, get) => tf.mul(get(op.a), get(op.b));
export const Div: Kernel<'Div'> = (op, get) => tf.div(get(op.a), get(op.b));
