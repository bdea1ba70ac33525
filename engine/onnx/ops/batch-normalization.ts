import type { EmitContext } from '../context.ts';
import { lastDimOf } from '../context.ts';
import { float, ints } from '../proto.ts';
import type { Emitter } from './emitter.ts';
import { onesScale } from './layer-normalization.ts';

/** The zeros vector standing for an absent bias (BatchNormalization requires one). */
function zerosBias(ctx: EmitContext, x: string): string {
  const c = lastDimOf(ctx, x);
  return ctx.b.table(`zeros:${c}`, [c], () => new Float32Array(c));
}

/**
 * BatchNormalization-15 in inference mode (an export runs the model as evaluation does: the
 * running statistics, initializers like every weight). It normalises [N, C, ...]: the channels
 * move from the last axis to axis 1 and back.
 */
export const BatchNormalization: Emitter<'BatchNormalization'> = (ctx, op) => {
  const { b } = ctx;
  const rank = ctx.shapes.get(op.x)?.length ?? 0;
  const inputs = (x: string) => [
    x,
    op.scale ?? onesScale(ctx, op.x),
    op.bias ?? zerosBias(ctx, op.x),
    op.mean,
    op.var,
  ];
  const attrs = { epsilon: float(op.epsilon), momentum: float(1 - op.momentum) };
  if (rank === 2) {
    b.op('BatchNormalization', inputs(op.x), attrs, op.out);
    return;
  }
  // [B, ..., C] -> [B, C, ...] and back.
  const middle = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  const first = b.op('Transpose', [op.x], { perm: ints(0, rank - 1, ...middle) });
  const y = b.op('BatchNormalization', inputs(first), attrs);
  b.op('Transpose', [y], { perm: ints(0, ...middle.map((i) => i + 1), 1) }, op.out);
};
