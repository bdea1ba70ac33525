import { float, int, ints } from '../proto.ts';
import type { EmitContext } from '../context.ts';
import type { Emitter } from './emitter.ts';
import type { OpOf } from '../../graph/ir.ts';
import { onesScale } from './layer-normalization.ts';

function rmsNorm17(ctx: EmitContext, op: OpOf<'RMSNormalization'>): void {
  const { b } = ctx;
  // x / √(mean(x², last axis) + ε) · scale
  const meanSquare = b.op('ReduceMean', [b.op('Mul', [op.x, op.x])], {
    axes: ints(-1),
    keepdims: int(1),
  });
  const rms = b.op('Sqrt', [b.op('Add', [meanSquare, b.floats([op.epsilon], [])])]);
  if (!op.scale) {
    b.op('Div', [op.x, rms], {}, op.out);
    return;
  }
  b.op('Mul', [b.op('Div', [op.x, rms]), op.scale], {}, op.out);
}

function rmsNorm23(ctx: EmitContext, op: OpOf<'RMSNormalization'>): void {
  const scale = op.scale ?? onesScale(ctx, op.x);
  ctx.b.op(
    'RMSNormalization',
    [op.x, scale],
    { axis: int(-1), epsilon: float(op.epsilon) },
    op.out,
  );
}

/** ONNX has RMSNormalization from opset 23; before, x / √(mean(x²) + ε) · scale. */
export const RMSNormalization: Emitter<'RMSNormalization'> = (ctx, op) =>
  ctx.opset >= 23 ? rmsNorm23(ctx, op) : rmsNorm17(ctx, op);
