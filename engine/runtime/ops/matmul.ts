import type { Kernel } from './kernel.ts';
import { matMul } from './primitives.ts';

/** Numpy matmul (explicit transposes in the gradient: see primitives.ts). */
export const MatMul: Kernel<'MatMul'> = (op, get) => matMul(get(op.a), get(op.b));
