import { int, ints } from './proto.ts';
import { lastDimOf, type EmitContext, type OpOf } from './context.ts';
import { ropeTables } from './rope.ts';

/**
 * Opset-17 forms of the fused IR ops (ONNX added them as single operators only in opset 23),
 * written with operators every runtime since onnxruntime 1.12 and ONNX 1.12's checker know.
 */

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

export function rotary17(ctx: EmitContext, op: OpOf<'RotaryEmbedding'>): void {
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

export function attention17(ctx: EmitContext, op: OpOf<'Attention'>): void {
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
    // Mask position j > i, with T read from the input at run time.
    const t = b.op('Gather', [b.op('Shape', [op.q]), b.int64s([1], [])], { axis: int(0) });
    const r = b.op('Range', [b.int64s([0], []), t, b.int64s([1], [])]);
    const rows = b.op('Unsqueeze', [r, b.int64s([1])]); // [T, 1]
    const cols = b.op('Unsqueeze', [r, b.int64s([0])]); // [1, T]
    let future = b.op('Greater', [cols, rows]); // [T, T]
    if (op.bottomRight) {
      // Keys S = P + T: query i sees keys ≤ P + i (aligned bottom-right, as with a KV cache).
      const s = b.op('Gather', [b.op('Shape', [op.k]), b.int64s([1], [])], { axis: int(0) });
      const p = b.op('Sub', [s, t]);
      const keys = b.op('Unsqueeze', [
        b.op('Range', [b.int64s([0], []), s, b.int64s([1], [])]),
        b.int64s([0]),
      ]); // [1, S]
      future = b.op('Greater', [keys, b.op('Add', [rows, p])]); // [T, S]
    }
    scores = b.op('Where', [future, b.floats([-Infinity], []), scores]);
  }
  const probs = b.op('Softmax', [scores], { axis: int(-1) });
  const y = b.op('Transpose', [b.op('MatMul', [probs, v])], { perm: ints(0, 2, 1, 3) }); // [B, T, H, Dh]
  b.op('Reshape', [y, b.int64s([0, 0, H * dh])], {}, op.out); // [B, T, H*Dh]
}

export function rmsNorm17(ctx: EmitContext, op: OpOf<'RMSNormalization'>): void {
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

export function gelu17(ctx: EmitContext, op: OpOf<'Gelu'>): void {
  const { b } = ctx;
  const half = b.op('Mul', [op.x, b.floats([0.5], [])]);
  let inner: string;
  if (op.approximate === 'none') {
    // 0.5·x·(1 + erf(x / √2))
    inner = b.op('Erf', [b.op('Mul', [op.x, b.floats([Math.SQRT1_2], [])])]);
  } else {
    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    const cube = b.op('Mul', [b.op('Mul', [op.x, op.x]), op.x]);
    const poly = b.op('Add', [op.x, b.op('Mul', [cube, b.floats([0.044715], [])])]);
    inner = b.op('Tanh', [b.op('Mul', [poly, b.floats([Math.sqrt(2 / Math.PI)], [])])]);
  }
  b.op('Mul', [half, b.op('Add', [inner, b.floats([1], [])])], {}, op.out);
}
