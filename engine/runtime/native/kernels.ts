import type * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, slice_util, util } from '@tensorflow/tfjs-core';
import { P, type Addon } from './addon.ts';
import type { PoolBackend } from './pool-backend.ts';

/** The tfjs backend name the native kernels are registered under. */
export const NATIVE_BACKEND = 'native';
const MAX_RANK = 8;

// Operation codes shared with src/kernels.cc.
const BIN = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
  Pow: 7,
} as const;
const UN = {
  Neg: 0,
  Exp: 1,
  Log: 2,
  Tanh: 3,
  Sqrt: 4,
  Rsqrt: 5,
  Square: 6,
  Relu: 7,
  Sigmoid: 8,
  Abs: 9,
  Reciprocal: 10,
  Erf: 11,
  Step: 12,
} as const;
const RED = { Sum: 0, Max: 1, Min: 2, Mean: 3 } as const;

interface Ctx {
  inputs: Record<string, TensorInfo> | TensorInfo[];
  backend: PoolBackend;
  attrs?: NamedAttrMap;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The native kernel set. Each kernel handles float32 in the cases it was written for and hands
 * everything else (other dtypes, exotic broadcasts) to the stock CPU kernel of the same name.
 */
export function nativeKernels(addon: Addon, stock: (name: string) => KernelFunc): KernelConfig[] {
  // A float32 tensor made by stock Cast from int32 or bool shares the source's Int32Array or
  // Uint8Array (tfjs skips the copy when no precision is lost): convert those on the way in.
  const vals = (b: PoolBackend, t: TensorInfo) => {
    const v = b.data.get(t.dataId).values;
    return v instanceof Float32Array ? v : Float32Array.from(v as Int32Array);
  };
  const ints = (b: PoolBackend, t: TensorInfo) => b.data.get(t.dataId).values as Int32Array;
  const out = (b: PoolBackend, shape: number[], v: Float32Array): TensorInfo =>
    b.makeTensorInfo(shape, 'float32', v);
  const f32 = (...ts: TensorInfo[]) => ts.every((t) => t.dtype === 'float32');

  const kernels: Record<string, (c: Ctx) => TensorInfo | TensorInfo[] | undefined> = {};

  const matmul = (b: PoolBackend, a: TensorInfo, w: TensorInfo, tA: boolean, tB: boolean) => {
    const ra = a.shape.length;
    const rb = w.shape.length;
    const M = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const K = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const N = tB ? w.shape[rb - 2]! : w.shape[rb - 1]!;
    const batchA = a.shape.slice(0, -2);
    const batchB = w.shape.slice(0, -2);
    const ba = size(batchA);
    const bb = size(batchB);
    if (ba !== bb && ba !== 1 && bb !== 1) return undefined;
    const batchShape = backend_util.assertAndGetBroadcastShape(batchA, batchB);
    if (size(batchShape) !== Math.max(ba, bb)) return undefined;
    const batch = Math.max(ba, bb);
    const c = b.alloc(batch * M * N);
    P.set([batch, M, N, K, tA ? 1 : 0, tB ? 1 : 0, ba === 1 ? 0 : M * K, bb === 1 ? 0 : K * N]);
    addon.gemm(vals(b, a), vals(b, w), c);
    return out(b, [...batchShape, M, N], c);
  };

  kernels.BatchMatMul = ({ inputs, backend: b, attrs }) => {
    const { a, b: w } = inputs as Record<string, TensorInfo>;
    if (!f32(a!, w!)) return undefined;
    return matmul(b, a!, w!, !!attrs!.transposeA, !!attrs!.transposeB);
  };

  kernels._FusedMatMul = (ctx) => {
    const { a, b: w, bias, preluActivationWeights } = ctx.inputs as Record<string, TensorInfo>;
    const act = ctx.attrs!.activation as string | undefined;
    if (preluActivationWeights || (act && act !== 'linear') || !f32(a!, w!)) {
      return undefined;
    }
    const b = ctx.backend;
    const prod = matmul(b, a!, w!, !!ctx.attrs!.transposeA, !!ctx.attrs!.transposeB);
    if (!prod || !bias) return prod;
    const sum = binary(b, BIN.Add, prod, bias);
    b.disposeIntermediateTensorInfo(prod);
    return sum;
  };

  const binary = (b: PoolBackend, op: number, a: TensorInfo, c: TensorInfo) => {
    const shape = backend_util.assertAndGetBroadcastShape(a.shape, c.shape);
    const r = Math.max(shape.length, 1);
    if (r > MAX_RANK) return undefined;
    const pad = (s: number[]) => [...Array(r - s.length).fill(1), ...s];
    P[0] = r;
    P.set(pad(shape), 1);
    P.set(pad(a.shape), 1 + r);
    P.set(pad(c.shape), 1 + 2 * r);
    const o = b.alloc(size(shape));
    addon.binary(op, vals(b, a), vals(b, c), o);
    return out(b, shape, o);
  };
  for (const [name, op] of Object.entries(BIN)) {
    kernels[name] = ({ inputs, backend }) => {
      const { a, b } = inputs as Record<string, TensorInfo>;
      if (!f32(a!, b!)) return undefined;
      return binary(backend, op, a!, b!);
    };
  }

  for (const [name, op] of Object.entries(UN)) {
    kernels[name] = ({ inputs, backend: b, attrs }) => {
      const { x } = inputs as Record<string, TensorInfo>;
      if (!f32(x!)) return undefined;
      const o = b.alloc(size(x!.shape));
      addon.unary(op, vals(b, x!), o, name === 'Step' ? ((attrs!.alpha as number) ?? 0) : 0);
      return out(b, x!.shape, o);
    };
  }

  for (const [name, op] of Object.entries(RED)) {
    kernels[name] = ({ inputs, backend: b, attrs }) => {
      const { x } = inputs as Record<string, TensorInfo>;
      if (!f32(x!)) return undefined;
      const axisAttr = (name === 'Max' ? attrs!.reductionIndices : attrs!.axis) as number[];
      const axes = util.parseAxisParam(axisAttr, x!.shape).sort((p, q) => p - q);
      if (axes.length === 0) return undefined;
      const first = axes[0]!;
      const last = axes[axes.length - 1]!;
      if (last - first + 1 !== axes.length) return undefined; // not one block
      const s = x!.shape;
      P.set([size(s.slice(0, first)), size(s.slice(first, last + 1)), size(s.slice(last + 1))]);
      const shape = attrs!.keepDims
        ? s.map((d, i) => (axes.includes(i) ? 1 : d))
        : s.filter((_, i) => !axes.includes(i));
      const o = b.alloc(size(shape));
      addon.reduce(op, vals(b, x!), o);
      return out(b, shape, o);
    };
  }

  kernels.Cast = ({ inputs, backend: b, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    if (attrs!.dtype !== 'float32' || (x!.dtype !== 'int32' && x!.dtype !== 'bool'))
      return undefined;
    const o = b.alloc(size(x!.shape));
    o.set(b.data.get(x!.dataId).values as Int32Array);
    return out(b, x!.shape, o);
  };

  kernels.Softmax = ({ inputs, backend: b, attrs }) => {
    const { logits } = inputs as Record<string, TensorInfo>;
    const s = logits!.shape;
    const dim = attrs!.dim as number;
    if (!f32(logits!) || (dim !== -1 && dim !== s.length - 1)) return undefined;
    P.set([size(s.slice(0, -1)), s[s.length - 1]!]);
    const o = b.alloc(size(s));
    addon.softmax(vals(b, logits!), o);
    return out(b, s, o);
  };

  kernels.Transpose = ({ inputs, backend: b, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const perm = attrs!.perm as number[];
    const r = x!.shape.length;
    if (!f32(x!) || r > MAX_RANK || r === 0) return undefined;
    P[0] = r;
    P.set(x!.shape, 1);
    P.set(perm, 1 + r);
    const o = b.alloc(size(x!.shape));
    addon.transpose(vals(b, x!), o);
    return out(
      b,
      perm.map((p) => x!.shape[p]!),
      o,
    );
  };

  kernels.GatherV2 = ({ inputs, backend: b, attrs }) => {
    const { x, indices } = inputs as Record<string, TensorInfo>;
    if (!f32(x!) || indices!.dtype !== 'int32' || (attrs!.batchDims as number) !== 0) {
      return undefined;
    }
    const axis = util.parseAxisParam(attrs!.axis as number, x!.shape)[0]!;
    const s = x!.shape;
    const n = size(indices!.shape);
    P.set([size(s.slice(0, axis)), s[axis]!, size(s.slice(axis + 1)), n]);
    const shape = [...s.slice(0, axis), ...indices!.shape, ...s.slice(axis + 1)];
    const o = b.alloc(size(shape));
    addon.gather(vals(b, x!), ints(b, indices!), o);
    return out(b, shape, o);
  };

  kernels.UnsortedSegmentSum = ({ inputs, backend: b, attrs }) => {
    const { x, segmentIds } = inputs as Record<string, TensorInfo>;
    if (!f32(x!) || segmentIds!.dtype !== 'int32') return undefined;
    const rows = size(segmentIds!.shape);
    const innerShape = x!.shape.slice(segmentIds!.shape.length);
    const segs = attrs!.numSegments as number;
    P.set([rows, size(innerShape), segs]);
    const o = b.alloc(segs * size(innerShape));
    addon.segmentSum(vals(b, x!), ints(b, segmentIds!), o);
    return out(b, [segs, ...innerShape], o);
  };

  kernels.Slice = ({ inputs, backend: b, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const r = x!.shape.length;
    if (!f32(x!) || r === 0 || r > MAX_RANK) return undefined;
    const [begin = [], sz = []] = slice_util.parseSliceParams(
      x as tf.TensorInfo as tf.Tensor,
      attrs!.begin as number[],
      attrs!.size as number[],
    );
    P[0] = r;
    P.set(x!.shape, 1);
    P.set(begin, 1 + r);
    P.set(sz, 1 + 2 * r);
    const o = b.alloc(size(sz));
    if (o.length > 0) addon.slice(vals(b, x!), o);
    return out(b, sz, o);
  };

  // Stock SplitV slices element by element when the axis is not the first (90 ms for a
  // [128, 16, 4, 16] RoPE split): copy rows natively instead.
  kernels.SplitV = ({ inputs, backend: b, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const r = x!.shape.length;
    if (!f32(x!) || r === 0 || r > MAX_RANK) return undefined;
    const axis = util.parseAxisParam(attrs!.axis as number, x!.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(
      x as tf.TensorInfo as tf.Tensor,
      attrs!.numOrSizeSplits as number[] | number,
      axis,
    );
    const begin = new Array<number>(r).fill(0);
    const src = vals(b, x!);
    return sizes.map((s) => {
      const shape = x!.shape.map((d, i) => (i === axis ? s : d));
      P[0] = r;
      P.set(x!.shape, 1);
      P.set(begin, 1 + r);
      P.set(shape, 1 + 2 * r);
      const o = b.alloc(size(shape));
      if (o.length > 0) addon.slice(src, o);
      begin[axis] = begin[axis]! + s;
      return out(b, shape, o);
    });
  };

  kernels.Concat = ({ inputs, backend: b, attrs }) => {
    const xs = (inputs as TensorInfo[]).filter((t) => size(t.shape) > 0);
    if (xs.length === 0 || xs.length > 10 || !f32(...xs)) return undefined;
    const axis = util.parseAxisParam(attrs!.axis as number, xs[0]!.shape)[0]!;
    const shape = backend_util.computeOutShape(
      xs.map((t) => t.shape),
      axis,
    );
    P.set([size(shape.slice(0, axis)), xs.length, ...xs.map((t) => size(t.shape.slice(axis)))]);
    const o = b.alloc(size(shape));
    addon.concat(o, ...xs.map((t) => vals(b, t)));
    return out(b, shape, o);
  };

  kernels.Select = ({ inputs, backend: b }) => {
    const { condition, t, e } = inputs as Record<string, TensorInfo>;
    const n = size(t!.shape);
    if (!f32(t!, e!) || size(condition!.shape) !== n || size(e!.shape) !== n) {
      return undefined;
    }
    const o = b.alloc(n);
    addon.select(b.data.get(condition!.dataId).values as Uint8Array, vals(b, t!), vals(b, e!), o);
    return out(b, t!.shape, o);
  };

  kernels.AddN = ({ inputs, backend: b }) => {
    const xs = inputs as TensorInfo[];
    if (!f32(...xs) || xs.length > 10) return undefined;
    const o = b.alloc(size(xs[0]!.shape));
    addon.addN(o, ...xs.map((x) => vals(b, x)));
    return out(b, xs[0]!.shape, o);
  };

  kernels.TrmGelu = ({ inputs, backend: b, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const o = b.alloc(size(x!.shape));
    addon.gelu(vals(b, x!), o, attrs!.approximate === 'tanh' ? 1 : 0);
    return out(b, x!.shape, o);
  };

  kernels.TrmGeluGrad = ({ inputs, backend: b, attrs }) => {
    const { x, dy } = inputs as Record<string, TensorInfo>;
    const o = b.alloc(size(x!.shape));
    addon.geluGrad(vals(b, x!), vals(b, dy!), o, attrs!.approximate === 'tanh' ? 1 : 0);
    return out(b, x!.shape, o);
  };

  kernels.TrmRmsNorm = ({ inputs, backend: b, attrs }) => {
    const { x, scale } = inputs as Record<string, TensorInfo>;
    const s = x!.shape;
    const cols = s[s.length - 1]!;
    const rows = size(s) / cols;
    P.set([rows, cols]);
    const o = b.alloc(size(s));
    const inv = b.alloc(rows);
    addon.rmsNorm(vals(b, x!), scale ? vals(b, scale) : null, o, inv, attrs!.epsilon as number);
    return [out(b, s, o), out(b, [...s.slice(0, -1), 1], inv)];
  };

  kernels.TrmRmsNormGrad = ({ inputs, backend: b }) => {
    const { x, scale, invRms, dy } = inputs as Record<string, TensorInfo>;
    const s = x!.shape;
    const cols = s[s.length - 1]!;
    P.set([size(s) / cols, cols]);
    const dx = b.alloc(size(s));
    const ds = scale ? b.alloc(cols) : null;
    addon.rmsNormGrad(
      vals(b, x!),
      scale ? vals(b, scale) : null,
      vals(b, invRms!),
      vals(b, dy!),
      dx,
      ds,
    );
    return ds ? [out(b, s, dx), out(b, [cols], ds)] : [out(b, s, dx)];
  };

  // x [..., C], scale/bias [C] → [y, mean [..., 1], invStd [..., 1]] (kept for the gradient).
  kernels.TrmLayerNorm = ({ inputs, backend: b, attrs }) => {
    const { x, scale, bias } = inputs as Record<string, TensorInfo>;
    const s = x!.shape;
    const cols = s[s.length - 1]!;
    const rows = size(s) / cols;
    P.set([rows, cols]);
    const [o, mu, inv] = [b.alloc(size(s)), b.alloc(rows), b.alloc(rows)];
    addon.layerNorm(
      vals(b, x!),
      scale ? vals(b, scale) : null,
      bias ? vals(b, bias) : null,
      o,
      mu,
      inv,
      attrs!.epsilon as number,
    );
    const stat = [...s.slice(0, -1), 1];
    return [out(b, s, o), out(b, stat, mu), out(b, stat, inv)];
  };

  // → [dx, dScale (when scale), dBias (when attrs.bias)]
  kernels.TrmLayerNormGrad = ({ inputs, backend: b, attrs }) => {
    const { x, scale, mean, invStd, dy } = inputs as Record<string, TensorInfo>;
    const s = x!.shape;
    const cols = s[s.length - 1]!;
    P.set([size(s) / cols, cols]);
    const dx = b.alloc(size(s));
    const ds = scale ? b.alloc(cols) : null;
    const db = attrs!.bias ? b.alloc(cols) : null;
    addon.layerNormGrad(
      vals(b, x!),
      scale ? vals(b, scale) : null,
      vals(b, mean!),
      vals(b, invStd!),
      vals(b, dy!),
      dx,
      ds,
      db,
    );
    return [dx, ds, db].filter((v) => v !== null).map((v, i) => out(b, i === 0 ? s : [cols], v));
  };

  // q, k, v [B, T, H·Dh] → [out [B, T, H·Dh], probs [B, H, T, T]] (probs kept for the gradient).
  kernels.TrmAttention = ({ inputs, backend: b, attrs }) => {
    const { q, k, v } = inputs as Record<string, TensorInfo>;
    const [B, T, W] = q!.shape as [number, number, number];
    const H = attrs!.heads as number;
    P.set([B, T, H, W / H, attrs!.causal ? 1 : 0]);
    const o = b.alloc(B * T * W);
    const probs = b.alloc(B * H * T * T);
    addon.attention(vals(b, q!), vals(b, k!), vals(b, v!), o, probs);
    return [out(b, q!.shape, o), out(b, [B, H, T, T], probs)];
  };

  kernels.TrmAttentionGrad = ({ inputs, backend: b, attrs }) => {
    const { q, k, v, probs, dy } = inputs as Record<string, TensorInfo>;
    const [B, T, W] = q!.shape as [number, number, number];
    const H = attrs!.heads as number;
    P.set([B, T, H, W / H]);
    const [dq, dk, dv] = [b.alloc(B * T * W), b.alloc(B * T * W), b.alloc(B * T * W)];
    addon.attentionGrad(
      vals(b, q!),
      vals(b, k!),
      vals(b, v!),
      vals(b, probs!),
      vals(b, dy!),
      dq,
      dk,
      dv,
    );
    return [out(b, q!.shape, dq), out(b, q!.shape, dk), out(b, q!.shape, dv)];
  };

  return Object.entries(kernels).map(([kernelName, impl]) => {
    const fallback = kernelName.startsWith('Trm') ? undefined : stock(kernelName);
    const kernelFunc = ((ctx: Ctx) =>
      impl(ctx) ?? fallback!(ctx as never)) as unknown as KernelFunc;
    return { kernelName, backendName: NATIVE_BACKEND, kernelFunc };
  });
}
