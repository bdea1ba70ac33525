import { int } from '../proto.ts';
import type { EmitContext } from '../context.ts';
import { lastDimOf } from '../context.ts';
import type { Emitter } from './emitter.ts';

/** A ones vector for norms without a learned scale (the fused operators require one). */
export function onesScale(ctx: EmitContext, x: string): string {
  const d = lastDimOf(ctx, x);
  return ctx.b.table(`ones:${d}`, [d], () => new Float32Array(d).fill(1));
}

export const LayerNormalization: Emitter<'LayerNormalization'> = (ctx, op) => {
  const scale = op.scale ?? onesScale(ctx, op.x);
  const inputs = op.bias ? [op.x, scale, op.bias] : [op.x, scale];
  ctx.b.op('LayerNormalization', inputs, { axis: int(-1), epsilon: { f: op.epsilon } }, op.out);
};
