import { float, int, str } from './proto.ts';
import { lastDimOf, type EmitContext, type OpOf } from './context.ts';
import { ropeTableInits } from './opset17.ts';

/** Opset-23 fused operators (RMSNormalization, Attention, RotaryEmbedding; Gelu since 20). */

/** A ones vector for norms without a learned scale (the fused operators require one). */
export function onesScale(ctx: EmitContext, x: string): string {
  const d = lastDimOf(ctx, x);
  return ctx.b.table(`ones:${d}`, [d], () => new Float32Array(d).fill(1));
}

export function rotary23(ctx: EmitContext, op: OpOf<'RotaryEmbedding'>): void {
  const { b } = ctx;
  const dh = lastDimOf(ctx, op.x) / op.heads;
  const { cos, sin } = ropeTableInits(ctx, dh, op.theta, op.x);
  // position_ids [B, T] = 0..T-1 for every row, so the [P, Dh/2] tables are read directly.
  const t = b.op('Gather', [b.op('Shape', [op.x]), b.int64s([1], [])], { axis: int(0) });
  const positions = b.op('Unsqueeze', [
    b.op('Range', [b.int64s([0], []), t, b.int64s([1], [])]),
    b.int64s([0]),
  ]);
  const ids = b.op('Expand', [positions, b.op('Shape', [op.x], { start: int(0), end: int(2) })]);
  b.op('RotaryEmbedding', [op.x, cos, sin, ids], { num_heads: int(op.heads) }, op.out);
}

export function attention23(ctx: EmitContext, op: OpOf<'Attention'>): void {
  // 3-D Q, K, V [B, T, heads*Dh] with head counts as attributes; default scale 1/√Dh.
  ctx.b.op(
    'Attention',
    [op.q, op.k, op.v],
    {
      q_num_heads: int(op.qHeads),
      kv_num_heads: int(op.kvHeads),
      is_causal: int(op.causal ? 1 : 0),
    },
    op.out,
  );
}

export function rmsNorm23(ctx: EmitContext, op: OpOf<'RMSNormalization'>): void {
  const scale = op.scale ?? onesScale(ctx, op.x);
  ctx.b.op(
    'RMSNormalization',
    [op.x, scale],
    { axis: int(-1), epsilon: float(op.epsilon) },
    op.out,
  );
}

export function gelu23(ctx: EmitContext, op: OpOf<'Gelu'>): void {
  ctx.b.op('Gelu', [op.x], { approximate: str(op.approximate) }, op.out);
}
