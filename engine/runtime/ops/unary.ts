import * as tf from '@tensorflow/tfjs-core';
import { silu } from './fused.ts';
import type { Kernel } from './kernel.ts';
import { stopGradient } from './primitives.ts';

export const Relu: Kernel<'Relu'> = (op, get) => tf.relu(get(op.x));
export const Sigmoid: Kernel<'Sigmoid'> = (op, get) => tf.sigmoid(get(op.x));
export const Silu: Kernel<'Silu'> = (op, get) => silu(get(op.x));
export const Tanh: Kernel<'Tanh'> = (op, get) => tf.tanh(get(op.x));
export const Identity: Kernel<'Identity'> = (op, get) => tf.clone(get(op.x));
export const StopGradient: Kernel<'StopGradient'> = (op, get) => stopGradient(get(op.x));
