import { DataType, int, ints } from '../proto.ts';
import type { EmitContext } from '../context.ts';
import { lastDimOf } from '../context.ts';
import type { Emitter } from './emitter.ts';
import type { OpOf } from '../../graph/ir.ts';

/** Opset 17: the decomposition (Reshape, Transpose, MatMul, Softmax; Where for the causal mask). */
function attention17(ctx: EmitContext, op: OpOf<'Attention'>): void {
  const { b } = ctx;
  const H = op.qHeads;
  const Hkv = op.kvHeads;
  const dh = lastDimOf(ctx, op.q) / H;
  const group = H / Hkv;
  // [B, T, H*Dh] -> [B, T, H, Dh]
  const split = (x: string, heads: number) => b.op('Reshape', [x, b.int64s([0, 0, heads, dh])]);
  // Grouped-query attention: repeat each KV head `group` times ([B, Hkv, a, c] -> [B, H, a, c]),
  // so query head h reads KV head floor(h / group), as ONNX Attention defines it.
  const repeat = (x: string) => {
    return b.op('Tile', [b.op('Unsqueeze', [x, b.int64s([2])]), b.int64s([1, 1, group, 1, 1])]);
  };
  const q = b.op('Transpose', [split(op.q, H)], { perm: ints(0, 2, 1, 3) }); // [B, H, T, Dh]
  let kT = b.op('Transpose', [split(op.k, Hkv)], { perm: ints(0, 2, 3, 1) }); // [B, Hkv, Dh, T]
  let v = b.op('Transpose', [split(op.v, Hkv)], { perm: ints(0, 2, 1, 3) }); // [B, Hkv, T, Dh]
  if (group > 1) {
    kT = b.op('Reshape', [repeat(kT), b.int64s([0, H, dh, -1])]);
    v = b.op('Reshape', [repeat(v), b.int64s([0, H, -1, dh])]);
  }
  // [B, H, T, T] scores, scaled by 1/√Dh.
  let scores = b.op('Mul', [b.op('MatMul', [q, kT]), b.floats([1 / Math.sqrt(dh)], [])]);
  if (op.causal) {
    // Mask key j > i for query i (j > S − T + i aligned bottom-right, as with a KV cache), with
    // T and S read from the inputs at run time: the mask is [T, S], not [T, T], when S ≠ T.
    const length = (x: string) =>
      b.op('Gather', [b.op('Shape', [x]), b.int64s([1], [])], { axis: int(0) });
    const range = (n: string) => b.op('Range', [b.int64s([0], []), n, b.int64s([1], [])]);
    const t = length(op.q);
    const queries = range(t);
    // Self-attention (S and T the same size or symbol in the IR types) reads T once.
    const tDim = ctx.shapes.get(op.q)?.[1];
    const same = tDim !== undefined && tDim === ctx.shapes.get(op.k)?.[1];
    const s = same ? t : length(op.k);
    const rows = b.op('Unsqueeze', [queries, b.int64s([1])]); // [T, 1]
    const keys = b.op('Unsqueeze', [same ? queries : range(s), b.int64s([0])]); // [1, S]
    const last = op.bottomRight && !same ? b.op('Add', [rows, b.op('Sub', [s, t])]) : rows;
    const future = b.op('Greater', [keys, last]); // [T, S]
    scores = b.op('Where', [future, b.floats([-Infinity], []), scores]);
  }
  if (op.keyIds !== undefined) {
    // Padding keys: ids [B, S] == padId -> [B, 1, 1, S], −∞ in every head's and query's row.
    const pad = b.op('Unsqueeze', [padding(ctx, op), b.int64s([1, 2])]);
    scores = b.op('Where', [pad, b.floats([-Infinity], []), scores]);
  }
  const probs = b.op('Softmax', [scores], { axis: int(-1) });
  const y = b.op('Transpose', [b.op('MatMul', [probs, v])], { perm: ints(0, 2, 1, 3) }); // [B, T, H, Dh]
  b.op('Reshape', [y, b.int64s([0, 0, H * dh])], {}, op.out); // [B, T, H*Dh]
}

/** [B, S] bool, true at keys whose id is the padding id. */
function padding(ctx: EmitContext, op: OpOf<'Attention'>): string {
  const { b } = ctx;
  return b.op('Equal', [
    op.keyIds as string,
    b.table(`i32:pad:${op.padId ?? 0}`, [], () => Int32Array.of(op.padId ?? 0), DataType.INT32),
  ]);
}

/** Opset 23: the fused operator, 3-D Q, K, V [B, T, heads·Dh] with head counts as attributes. */
function attention23(ctx: EmitContext, op: OpOf<'Attention'>): void {
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

/**
 * A KV-cache program (bottom-right mask) and key padding are emitted in opset-17 form:
 * onnxruntime 1.30's Attention wants an attn_mask with one row per query ([B, 1, T, S]),
 * which the decomposition's broadcast [B, 1, 1, S] mask does not need.
 */
export const Attention: Emitter<'Attention'> = (ctx, op) =>
  ctx.opset >= 23 && !op.bottomRight && op.keyIds === undefined
    ? attention23(ctx, op)
    : attention17(ctx, op);
