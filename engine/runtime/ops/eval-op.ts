import type * as tf from '@tensorflow/tfjs-core';
import type { IrOp } from '../../graph/ir.ts';
import './gradients.ts';
import type { EvalOptions, Kernel } from './kernel.ts';
import { kernels } from './registry.ts';

export type { EvalOptions } from './kernel.ts';
export { opInputs } from '../../graph/ir/program.ts';

/** One IR op on tfjs tensors, through its kernel in the registry: one tensor per result. */
export function evalOp(
  op: IrOp,
  get: (name: string) => tf.Tensor,
  opts: EvalOptions,
): tf.Tensor | tf.Tensor[] {
  const kernel = (kernels as Record<string, Kernel<IrOp['op']> | undefined>)[op.op];
  if (!kernel)
    throw new Error(`The tfjs executor has no kernel for ${String(op.op)} (from ${op.source}).`);
  return kernel(op as never, get, opts);
}
