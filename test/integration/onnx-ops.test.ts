import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OpSpec } from '../../engine/graph/node-kind.ts';
import { emitOnnx } from '../../engine/onnx/emit.ts';
import { createSession, runOnnx } from '../../engine/onnx-runtime/verify.ts';
import { randomFloats, randomWeights, tinyProgram } from './onnx-support.ts';

// Every IR op, emitted alone at opsets 17 and 23 and run in onnxruntime, against a plain
// float64 reference written here from the op's ONNX definition.

const B = 2;
const T = 5;
const D = 8;
type Ref = (x: Float32Array, w: Map<string, Float32Array>) => number[];

function rows(x: ArrayLike<number>, width: number, f: (row: number[]) => number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.length / width; i++)
    out.push(...f(Array.from(x).slice(i * width, (i + 1) * width)));
  return out;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is only 1e-7 accurate; sum the Taylor series instead (|x| small).
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function matmul(x: Float32Array, w: Float32Array, k: number, n: number): number[] {
  return rows(x, k, (r) =>
    Array.from({ length: n }, (_, j) => r.reduce((s, v, i) => s + v * (w[i * n + j] as number), 0)),
  );
}

/** [B, T, H*Dh] attention with `kvHeads` KV heads; query head h reads KV head ⌊h / group⌋. */
function attention(q: number[], k: number[], v: number[], H: number, Hkv: number, causal: boolean) {
  const dh = q.length / (B * T * H);
  const out = new Array<number>(B * T * H * dh).fill(0);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / (H / Hkv));
      for (let i = 0; i < T; i++) {
        const s: number[] = [];
        for (let j = 0; j < T; j++) {
          let dot = 0;
          for (let d = 0; d < dh; d++)
            dot +=
              (q[((b * T + i) * H + h) * dh + d] as number) *
              (k[((b * T + j) * Hkv + g) * dh + d] as number);
          s.push(causal && j > i ? -Infinity : dot / Math.sqrt(dh));
        }
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, x) => a + x, 0);
        for (let j = 0; j < T; j++)
          for (let d = 0; d < dh; d++)
            out[((b * T + i) * H + h) * dh + d] =
              (out[((b * T + i) * H + h) * dh + d] as number) +
              ((e[j] as number) / z) * (v[((b * T + j) * Hkv + g) * dh + d] as number);
      }
    }
  return out;
}

function rope(x: ArrayLike<number>, heads: number, theta: number): number[] {
  const width = x.length / (B * T);
  const dh = width / heads;
  const out = Array.from(x);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < dh / 2; i++) {
          const a = t * Math.pow(theta, (-2 * i) / dh);
          const base = (b * T + t) * width + h * dh;
          const x1 = x[base + i] as number;
          const x2 = x[base + i + dh / 2] as number;
          out[base + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
          out[base + i + dh / 2] = x2 * Math.cos(a) + x1 * Math.sin(a);
        }
  return out;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const unary =
  (f: (v: number) => number): Ref =>
  (x) =>
    Array.from(x, f);

interface Case {
  name: string;
  params?: Record<string, number[]>;
  ops: OpSpec[];
  ref: Ref;
  x?: (string | number)[];
}

const cases: Case[] = [
  {
    name: 'MatMul',
    params: { w: [D, 3] },
    ops: [{ op: 'MatMul', a: 'x', b: 'w' }],
    ref: (x, w) => matmul(x, w.get('w')!, D, 3),
  },
  ...(['Add', 'Sub', 'Mul', 'Div'] as const).map((op) => ({
    name: op,
    params: { w: [D] },
    ops: [{ op, a: 'x', b: 'w' }] as OpSpec[],
    ref: ((x, w) =>
      rows(x, D, (r) =>
        r.map((v, i) => {
          const c = w.get('w')![i] as number;
          return op === 'Add' ? v + c : op === 'Sub' ? v - c : op === 'Mul' ? v * c : v / c;
        }),
      )) as Ref,
  })),
  { name: 'Scale', ops: [{ op: 'Scale', x: 'x', factor: 2.5 }], ref: unary((v) => v * 2.5) },
  {
    name: 'Reshape + Transpose',
    ops: [
      { op: 'Reshape', x: 'x', shape: [0, 0, 2, 4] },
      { op: 'Transpose', x: 'y0', perm: [0, 2, 1, 3] },
    ],
    ref: (x) => {
      const out: number[] = [];
      for (let b = 0; b < B; b++)
        for (let h = 0; h < 2; h++)
          for (let t = 0; t < T; t++)
            for (let d = 0; d < 4; d++) out.push(x[(b * T + t) * D + h * 4 + d] as number);
      return out;
    },
  },
  {
    name: 'Softmax',
    ops: [{ op: 'Softmax', x: 'x', axis: -1 }],
    ref: (x) =>
      rows(x, D, (r) => {
        const e = r.map((v) => Math.exp(v));
        const z = e.reduce((a, v) => a + v, 0);
        return e.map((v) => v / z);
      }),
  },
  {
    name: 'ReduceMean',
    ops: [{ op: 'ReduceMean', x: 'x', axis: 1 }],
    ref: (x) =>
      Array.from({ length: B * D }, (_, i) => {
        const [b, d] = [Math.floor(i / D), i % D];
        let s = 0;
        for (let t = 0; t < T; t++) s += x[(b * T + t) * D + d] as number;
        return s / T;
      }),
  },
  { name: 'Relu', ops: [{ op: 'Relu', x: 'x' }], ref: unary((v) => Math.max(0, v)) },
  { name: 'Sigmoid', ops: [{ op: 'Sigmoid', x: 'x' }], ref: unary(sigmoid) },
  { name: 'Tanh', ops: [{ op: 'Tanh', x: 'x' }], ref: unary(Math.tanh) },
  { name: 'Silu', ops: [{ op: 'Silu', x: 'x' }], ref: unary((v) => v * sigmoid(v)) },
  { name: 'Identity', ops: [{ op: 'Identity', x: 'x' }], ref: unary((v) => v) },
  { name: 'StopGradient', ops: [{ op: 'StopGradient', x: 'x' }], ref: unary((v) => v) },
  { name: 'Dropout', ops: [{ op: 'Dropout', x: 'x', rate: 0.3 }], ref: unary((v) => v) },
  {
    name: 'Gelu (erf)',
    ops: [{ op: 'Gelu', x: 'x', approximate: 'none' }],
    ref: unary((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  },
  {
    name: 'Gelu (tanh)',
    ops: [{ op: 'Gelu', x: 'x', approximate: 'tanh' }],
    ref: unary((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
  },
  ...[true, false].map((learned) => ({
    name: `LayerNormalization (${learned ? 'scale, bias' : 'no scale'})`,
    params: (learned ? { s: [D], bb: [D] } : {}) as Record<string, number[]>,
    ops: [
      {
        op: 'LayerNormalization',
        x: 'x',
        epsilon: 1e-5,
        ...(learned ? { scale: 's', bias: 'bb' } : {}),
      },
    ] as OpSpec[],
    ref: ((x, w) =>
      rows(x, D, (r) => {
        const m = r.reduce((a, v) => a + v, 0) / D;
        const va = r.reduce((a, v) => a + (v - m) ** 2, 0) / D;
        return r.map((v, i) => {
          const n = (v - m) / Math.sqrt(va + 1e-5);
          return learned ? n * (w.get('s')![i] as number) + (w.get('bb')![i] as number) : n;
        });
      })) as Ref,
  })),
  ...[true, false].map((learned) => ({
    name: `RMSNormalization (${learned ? 'scale' : 'no scale'})`,
    params: (learned ? { s: [D] } : {}) as Record<string, number[]>,
    ops: [
      { op: 'RMSNormalization', x: 'x', epsilon: 1e-5, ...(learned ? { scale: 's' } : {}) },
    ] as OpSpec[],
    ref: ((x, w) =>
      rows(x, D, (r) => {
        const rms = Math.sqrt(r.reduce((a, v) => a + v * v, 0) / D + 1e-5);
        return r.map((v, i) => (v / rms) * (learned ? (w.get('s')![i] as number) : 1));
      })) as Ref,
  })),
  ...[
    { heads: 2, kvHeads: 2, causal: true },
    { heads: 2, kvHeads: 2, causal: false },
    { heads: 4, kvHeads: 2, causal: true },
  ].map(({ heads, kvHeads, causal }) => ({
    name: `Attention (${heads} heads, ${kvHeads} KV heads, ${causal ? 'causal' : 'bidirectional'})`,
    params: { wk: [D, (D / heads) * kvHeads], wv: [D, (D / heads) * kvHeads] },
    ops: [
      { op: 'MatMul', a: 'x', b: 'wk' },
      { op: 'MatMul', a: 'x', b: 'wv' },
      { op: 'Attention', q: 'x', k: 'y0', v: 'y1', qHeads: heads, kvHeads, causal },
    ] as OpSpec[],
    ref: ((x, w) => {
      const kv = (D / heads) * kvHeads;
      const k = matmul(x, w.get('wk')!, D, kv);
      const v = matmul(x, w.get('wv')!, D, kv);
      return attention(Array.from(x), k, v, heads, kvHeads, causal);
    }) as Ref,
  })),
  {
    name: 'RotaryEmbedding',
    ops: [{ op: 'RotaryEmbedding', x: 'x', heads: 2, theta: 10000 }],
    ref: (x) => rope(x, 2, 10000),
  },
  {
    name: 'SlicePrefix',
    ops: [{ op: 'SlicePrefix', x: 'x', axis: 1, length: 1 }],
    ref: (x) =>
      Array.from({ length: B }, (_, b) => Array.from(x.slice(b * T * D, b * T * D + D))).flat(),
  },
  {
    name: 'SliceLike + BroadcastLike',
    params: { table: [7, D], v: [D] },
    ops: [
      { op: 'SliceLike', x: 'table', axis: 0, like: 'x', likeAxis: 1 },
      { op: 'BroadcastLike', x: 'v', like: 'x' },
      { op: 'Add', a: 'y0', b: 'y1' },
    ],
    ref: (_x, w) =>
      Array.from({ length: B * T * D }, (_, i) => {
        const t = Math.floor(i / D) % T;
        return (w.get('table')![t * D + (i % D)] as number) + (w.get('v')![i % D] as number);
      }),
  },
];

describe('ONNX emitter: every IR op against a float64 reference in onnxruntime', () => {
  for (const c of cases) {
    for (const opset of [17, 23] as const) {
      it(`${c.name} at opset ${opset}`, async () => {
        const program = tinyProgram({ x: ['B', 'T', D] }, c.params ?? {}, c.ops);
        const weights = randomWeights(program);
        const bytes = emitOnnx(program, weights, new Map(), { opset, precision: 'fp32' });
        const x = randomFloats(B * T * D, 42);
        const session = await createSession(bytes);
        const out = await runOnnx(session, { x: { data: x, dims: [B, T, D] } });
        await session.release();
        const want = c.ref(x, weights);
        const got = out.y!;
        assert.equal(got.length, want.length);
        let maxErr = 0;
        for (let i = 0; i < want.length; i++)
          maxErr = Math.max(maxErr, Math.abs((got[i] as number) - (want[i] as number)));
        assert.ok(maxErr < 1e-5, `max abs error ${maxErr}`);
      });
    }
  }
});
