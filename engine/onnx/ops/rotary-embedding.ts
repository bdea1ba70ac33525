import { int } from '../proto.ts';
import type { EmitContext } from '../context.ts';
import { lastDimOf } from '../context.ts';
import type { Emitter } from './emitter.ts';
import type { OpOf } from '../../graph/ir.ts';
import { ropeTables } from './rope.ts';

/**
 * RoPE cos and sin tables [P, Dh/2] as initializers, shared by every use with the same θ. P is
 * the export's position budget, or more when `x` has a longer fixed length (a TRM's puzzle
 * prefix puts positions in front of the tokens).
 */
export function ropeTableInits(ctx: EmitContext, headDim: number, theta: number, x: string) {
  const fixed = ctx.shapes.get(x)?.[1];
  const P = typeof fixed === 'number' ? Math.max(ctx.maxPositions, fixed) : ctx.maxPositions;
  const key = `rope:${P}:${headDim}:${theta}`;
  let tables: ReturnType<typeof ropeTables> | undefined;
  const get = () => (tables ??= ropeTables(P, headDim, theta));
  return {
    cos: ctx.b.table(`${key}:cos`, [P, headDim / 2], () => get().cos),
    sin: ctx.b.table(`${key}:sin`, [P, headDim / 2], () => get().sin),
  };
}

function rotary17(ctx: EmitContext, op: OpOf<'RotaryEmbedding'>): void {
  const { b } = ctx;
  const width = lastDimOf(ctx, op.x);
  const dh = width / op.heads;
  const half = dh / 2;
  const { cos, sin } = ropeTableInits(ctx, dh, op.theta, op.x);
  // [P, Dh/2] -> [T, Dh/2] -> [T, 1, Dh/2], broadcast over batch and heads.
  const t = b.op('Shape', [op.x], { start: int(1), end: int(2) });
  // Positions 0..T−1, or P..P+T−1 after a KV cache of length P.
  const start = op.offsetLike
    ? b.op('Shape', [op.offsetLike], { start: int(1), end: int(2) })
    : b.int64s([0]);
  const stop = op.offsetLike ? b.op('Add', [start, t]) : t;
  const slice = (table: string) =>
    b.op('Unsqueeze', [b.op('Slice', [table, start, stop, b.int64s([0])]), b.int64s([1])]);
  const c = slice(cos);
  const s = slice(sin);
  // [B, T, H*Dh] -> [B, T, H, Dh]; rotate the two halves of each head.
  const xh = b.op('Reshape', [op.x, b.int64s([0, 0, op.heads, dh])]);
  const axis = b.int64s([3]);
  const x1 = b.op('Slice', [xh, b.int64s([0]), b.int64s([half]), axis]);
  const x2 = b.op('Slice', [xh, b.int64s([half]), b.int64s([dh]), axis]);
  const y1 = b.op('Sub', [b.op('Mul', [x1, c]), b.op('Mul', [x2, s])]);
  const y2 = b.op('Add', [b.op('Mul', [x2, c]), b.op('Mul', [x1, s])]);
  const y = b.op('Concat', [y1, y2], { axis: int(3) });
  // [B, T, H, Dh] -> [B, T, H*Dh]
  b.op('Reshape', [y, b.int64s([0, 0, width])], {}, op.out);
}

function rotary23(ctx: EmitContext, op: OpOf<'RotaryEmbedding'>): void {
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

/** Positions after a KV cache (an offset) are emitted in opset-17 form. */
export const RotaryEmbedding: Emitter<'RotaryEmbedding'> = (ctx, op) =>
  ctx.opset >= 23 && !op.offsetLike ? rotary23(ctx, op) : rotary17(ctx, op);
