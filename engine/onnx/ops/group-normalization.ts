import type { OpOf } from '../../graph/ir.ts';
import type { EmitContext } from '../context.ts';
import { lastDimOf } from '../context.ts';
import { float, int, ints } from '../proto.ts';
import type { Emitter } from './emitter.ts';
import { onesScale } from './layer-normalization.ts';

/** Opset 17 has no GroupNormalization: Reshape, ReduceMean, Sub, Mul, Sqrt and Div. */
function groupNorm17(ctx: EmitContext, op: OpOf<'GroupNormalization'>): void {
  const { b } = ctx;
  const channels = lastDimOf(ctx, op.x);
  // [B, ..., C] -> [B, L, G, C/G]: statistics per example and group, over axes 1 and 3.
  const grouped = b.op('Reshape', [op.x, b.int64s([0, -1, op.groups, channels / op.groups])]);
  const mean = (v: string) => b.op('ReduceMean', [v], { axes: ints(1, 3), keepdims: int(1) });
  const centered = b.op('Sub', [grouped, mean(grouped)]);
  const variance = mean(b.op('Mul', [centered, centered]));
  const std = b.op('Sqrt', [b.op('Add', [variance, b.floats([op.epsilon], [])])]);
  // [B, L, G, C/G] -> [B, ..., C], then scaled and shifted; the last node is named op.out.
  const shape = b.op('Shape', [op.x]);
  const plain = !op.scale && !op.bias;
  let y = b.op('Reshape', [b.op('Div', [centered, std]), shape], {}, plain ? op.out : undefined);
  if (op.scale) y = b.op('Mul', [y, op.scale], {}, op.bias ? undefined : op.out);
  if (op.bias) b.op('Add', [y, op.bias], {}, op.out);
}

/**
 * GroupNormalization-21 normalises [N, C, ...]: the channels move from the last axis to axis 1
 * and back. It requires scale and bias; absent ones are 1 and 0.
 */
function groupNorm23(ctx: EmitContext, op: OpOf<'GroupNormalization'>): void {
  const { b } = ctx;
  const rank = ctx.shapes.get(op.x)?.length ?? 0;
  const channels = lastDimOf(ctx, op.x);
  const scale = op.scale ?? onesScale(ctx, op.x);
  const bias =
    op.bias ?? b.table(`zeros:${channels}`, [channels], () => new Float32Array(channels));
  const attrs = { num_groups: int(op.groups), epsilon: float(op.epsilon) };
  if (rank === 2) {
    b.op('GroupNormalization', [op.x, scale, bias], attrs, op.out);
    return;
  }
  // [B, ..., C] -> [B, C, ...] and back.
  const middle = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  const first = b.op('Transpose', [op.x], { perm: ints(0, rank - 1, ...middle) });
  const y = b.op('GroupNormalization', [first, scale, bias], attrs);
  b.op('Transpose', [y], { perm: ints(0, ...middle.map((i) => i + 1), 1) }, op.out);
}

export const GroupNormalization: Emitter<'GroupNormalization'> = (ctx, op) =>
  ctx.opset >= 23 ? groupNorm23(ctx, op) : groupNorm17(ctx, op);
