import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { IrInput, IrProgram } from '../graph/ir.ts';
import type { OpSpec } from '../graph/node-kind.ts';
import {
  arr,
  assertClose,
  attentionRef,
  geluRef,
  geluTanhRef,
  gradCheck,
  layerNormRef,
  type M,
  mapM,
  mm,
  rmsRef,
  ropeRef,
  siluRef,
  softmaxRow,
  tensor,
  type T3,
  transpose,
  useBackend,
} from '../../test/unit/nodes-numeric/helpers.ts';
import { typed } from '../graph/ir/verify.ts';
import { runProgram } from './executor.ts';
import { gather, stopGradient } from './ops/primitives.ts';
import type { WeightStore } from './weights.ts';

const empty: WeightStore = { params: new Map(), buffers: new Map(), dispose: () => undefined };

/** A one-op program whose operands are program inputs named like the op's fields. */
function program(spec: OpSpec, inputs: Record<string, tf.Tensor>, dynamic = false): IrProgram {
  const irInputs: IrInput[] = Object.entries(inputs).map(([name, t]) => ({
    name,
    dtype: t.dtype as 'float32' | 'int32',
    // Dynamic: axis 0 is a symbol, so only the run-time sizes can be checked.
    shape: dynamic ? ['N', ...t.shape.slice(1)] : [...t.shape],
    role: t.dtype === 'int32' ? 'tokens' : 'state',
  }));
  return typed({
    inputs: irInputs,
    outputs: [{ name: 'y', value: 'y', shape: [], role: 'hidden', node: 'test' }],
    params: new Map(),
    buffers: new Map(),
    ops: [{ ...spec, out: 'y', source: 'main/test' } as IrProgram['ops'][number]],
  });
}

/** Runs one op; operand names of `spec` must match the keys of `inputs`. */
function op(
  spec: OpSpec,
  inputs: Record<string, tf.Tensor>,
  training = false,
  dynamic = false,
): tf.Tensor {
  const p = program(spec, inputs, dynamic);
  const y = runProgram(p, empty, inputs, ['y'], { training, seed: 1 }).y;
  assert.ok(y);
  return y;
}

/** f(...xs) for gradCheck: the op with its float operands bound in order. */
function asFn(spec: OpSpec, names: string[], fixed: Record<string, tf.Tensor> = {}) {
  return (...xs: tf.Tensor[]) =>
    op(spec, { ...fixed, ...Object.fromEntries(names.map((n, i) => [n, xs[i] as tf.Tensor])) });
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`IR ops on ${backend}`, () => {
    before(() => useBackend(backend));

    it('MatMul: 3-D × 2-D, 1-D operands and broadcast batches match numpy', () => {
      const a = tensor([2, 3, 4], 1);
      const b = tensor([4, 5], 2);
      const y = op({ op: 'MatMul', a: 'a', b: 'b' }, { a, b });
      assert.deepEqual(y.shape, [2, 3, 5]);
      assertClose(
        y,
        arr<T3>(a).map((m) => mm(m, arr<M>(b))),
        1e-5,
        'MatMul 3-D × 2-D',
      );
      const v = tensor([4], 3);
      const av = op({ op: 'MatMul', a: 'a', b: 'b' }, { a, b: v });
      assert.deepEqual(av.shape, [2, 3]);
      assertClose(
        av,
        arr<T3>(a).map((m) =>
          mm(
            m,
            arr<number[]>(v).map((x) => [x]),
          ).map((r) => r[0]),
        ),
        1e-5,
      );
      const va = op({ op: 'MatMul', a: 'a', b: 'b' }, { a: v, b });
      assert.deepEqual(va.shape, [5]);
      assertClose(va, mm([arr<number[]>(v)], arr<M>(b))[0], 1e-5);
      // [2, 1, 3, 4] · [3, 4, 5] broadcasts to [2, 3, 3, 5].
      const p = tensor([2, 1, 3, 4], 4);
      const q = tensor([3, 4, 5], 5);
      const pq = op({ op: 'MatMul', a: 'a', b: 'b' }, { a: p, b: q });
      assert.deepEqual(pq.shape, [2, 3, 3, 5]);
      const expected = arr<number[][][][]>(p).map(([pm]) =>
        arr<T3>(q).map((qm) => mm(pm as M, qm)),
      );
      assertClose(pq, expected, 1e-5, 'broadcast MatMul');
    });

    it('MatMul gradients (3-D × 2-D via 2-D, and batched) match finite differences', () => {
      const spec: OpSpec = { op: 'MatMul', a: 'a', b: 'b' };
      gradCheck(asFn(spec, ['a', 'b']), [tensor([2, 3, 4], 1), tensor([4, 2], 2)], {
        what: 'MatMul 3-D × 2-D',
      });
      gradCheck(asFn(spec, ['a', 'b']), [tensor([2, 2, 3], 3), tensor([2, 3, 2], 4)], {
        what: 'batched MatMul',
      });
    });

    it('element-wise ops broadcast like numpy; Scale multiplies', () => {
      const a = tensor([2, 3], 1);
      const b = tensor([3], 2);
      const av = arr<M>(a);
      const bv = arr<number[]>(b);
      const cases = {
        Add: (x: number, y: number) => x + y,
        Sub: (x: number, y: number) => x - y,
        Mul: (x: number, y: number) => x * y,
        Div: (x: number, y: number) => x / y,
      } as const;
      for (const [name, f] of Object.entries(cases)) {
        const y = op({ op: name as 'Add', a: 'a', b: 'b' }, { a, b });
        assertClose(
          y,
          av.map((r) => r.map((x, j) => f(x, bv[j]!))),
          1e-5,
          name,
        );
      }
      assertClose(
        op({ op: 'Scale', x: 'x', factor: 2.5 }, { x: a }),
        mapM(av, (x) => 2.5 * x),
      );
    });

    it('unary activations match their definitions', () => {
      const x = tensor([3, 4], 5, 2);
      const xv = arr<M>(x);
      const cases: [OpSpec, (v: number) => number][] = [
        [{ op: 'Relu', x: 'x' }, (v) => Math.max(0, v)],
        [{ op: 'Sigmoid', x: 'x' }, (v) => 1 / (1 + Math.exp(-v))],
        [{ op: 'Silu', x: 'x' }, siluRef],
        [{ op: 'Tanh', x: 'x' }, Math.tanh],
        [{ op: 'Identity', x: 'x' }, (v) => v],
        [{ op: 'Gelu', x: 'x', approximate: 'none' }, geluRef],
        [{ op: 'Gelu', x: 'x', approximate: 'tanh' }, geluTanhRef],
        [{ op: 'Dropout', x: 'x', rate: 0.5 }, (v) => v],
      ];
      for (const [spec, f] of cases) assertClose(op(spec, { x }), mapM(xv, f), 1e-5, spec.op);
    });

    it('Gelu (erf and tanh) and Silu gradients match finite differences', () => {
      for (const approximate of ['none', 'tanh'] as const) {
        gradCheck(asFn({ op: 'Gelu', x: 'x', approximate }, ['x']), [tensor([2, 5], 6, 1.5)], {
          what: `Gelu ${approximate}`,
        });
      }
      gradCheck(asFn({ op: 'Silu', x: 'x' }, ['x']), [tensor([2, 5], 7, 1.5)], { what: 'Silu' });
    });

    it('Gather picks rows; its gradient sums repeated ids (ScatterNd, no UnsortedSegmentSum)', () => {
      const data = tensor([4, 3], 8);
      const ids = tf.tensor2d(
        [
          [1, 3, 1],
          [0, 1, 1],
        ],
        [2, 3],
        'int32',
      );
      const y = op({ op: 'Gather', data: 'data', indices: 'ids' }, { data, ids });
      const dv = arr<M>(data);
      assertClose(
        y,
        arr<M>(ids).map((r) => r.map((i) => dv[i])),
        0,
        'Gather',
      );
      gradCheck(asFn({ op: 'Gather', data: 'data', indices: 'ids' }, ['data'], { ids }), [data], {
        what: 'Gather',
      });
      // Exact: row 1 is picked four times, row 2 never.
      const g = tf.grad((d: tf.Tensor) => tf.sum(gather(d, ids)))(data);
      assert.deepEqual(
        arr<M>(g).map((r) => r[0]),
        [1, 4, 0, 1],
      );
    });

    it('Reshape (0 copies, -1 infers), Transpose, ReduceMean, Softmax on any axis', () => {
      const x = tensor([2, 3, 4], 9);
      const xv = arr<T3>(x);
      assert.deepEqual(op({ op: 'Reshape', x: 'x', shape: [0, -1] }, { x }).shape, [2, 12]);
      assert.deepEqual(
        op({ op: 'Reshape', x: 'x', shape: [0, 0, 2, 2] }, { x }).shape,
        [2, 3, 2, 2],
      );
      const t = op({ op: 'Transpose', x: 'x', perm: [0, 2, 1] }, { x });
      assertClose(t, xv.map(transpose), 0, 'Transpose');
      const mean = op({ op: 'ReduceMean', x: 'x', axis: 1 }, { x });
      assert.deepEqual(mean.shape, [2, 4]);
      assertClose(
        mean,
        xv.map((m) => transpose(m).map((c) => c.reduce((s, v) => s + v, 0) / 3)),
        1e-5,
      );
      assertClose(
        op({ op: 'Softmax', x: 'x', axis: -1 }, { x }),
        xv.map((m) => m.map(softmaxRow)),
        1e-5,
      );
      const s1 = op({ op: 'Softmax', x: 'x', axis: 1 }, { x });
      assertClose(
        s1,
        xv.map((m) => transpose(transpose(m).map(softmaxRow))),
        1e-5,
        'Softmax axis 1',
      );
    });

    it('SlicePrefix, SliceLike and BroadcastLike', () => {
      const x = tensor([5, 3], 10);
      const like = tensor([2, 4, 3], 11);
      const xv = arr<M>(x);
      assertClose(op({ op: 'SlicePrefix', x: 'x', axis: 0, length: 2 }, { x }), xv.slice(0, 2), 0);
      const sl = op({ op: 'SliceLike', x: 'x', axis: 0, like: 'like', likeAxis: 1 }, { x, like });
      assertClose(sl, xv.slice(0, 4), 0, 'SliceLike');
      const row = tensor([3], 12);
      const bl = op({ op: 'BroadcastLike', x: 'x', like: 'like' }, { x: row, like });
      assertClose(
        bl,
        [0, 1].map(() => [0, 1, 2, 3].map(() => arr<number[]>(row))),
        0,
        'BroadcastLike',
      );
      // A fixed size too short is caught when the program is typed; a symbolic one when it runs.
      assert.throws(
        () => op({ op: 'SlicePrefix', x: 'x', axis: 0, length: 9 }, { x }),
        /SlicePrefix from main\/test: positions up to 9 of \[5, 3\]'s axis 0/,
      );
      assert.throws(
        () => op({ op: 'SlicePrefix', x: 'x', axis: 0, length: 9 }, { x }, false, true),
        /SlicePrefix of main\/test failed: .*needs 9 entries along axis 0, but the tensor has 5/,
      );
    });

    it('RMSNormalization and LayerNormalization over the last axis, with and without scale', () => {
      const x = tensor([2, 3, 4], 13, 2);
      const scale = tensor([4], 14);
      const bias = tensor([4], 15);
      const xv = arr<T3>(x);
      const sv = arr<number[]>(scale);
      const bv = arr<number[]>(bias);
      const rms = op(
        { op: 'RMSNormalization', x: 'x', scale: 'scale', epsilon: 1e-5 },
        { x, scale },
      );
      assertClose(
        rms,
        xv.map((m) => rmsRef(m, 1e-5, sv)),
        1e-4,
        'RMSNorm',
      );
      const rms0 = op({ op: 'RMSNormalization', x: 'x', epsilon: 1e-5 }, { x });
      assertClose(
        rms0,
        xv.map((m) => rmsRef(m, 1e-5)),
        1e-4,
        'RMSNorm without scale',
      );
      const ln = op(
        { op: 'LayerNormalization', x: 'x', scale: 'scale', bias: 'bias', epsilon: 1e-5 },
        { x, scale, bias },
      );
      assertClose(
        ln,
        xv.map((m) => layerNormRef(m, 1e-5, sv, bv)),
        1e-4,
        'LayerNorm',
      );
      const ln0 = op({ op: 'LayerNormalization', x: 'x', epsilon: 1e-5 }, { x });
      assertClose(
        ln0,
        xv.map((m) => layerNormRef(m, 1e-5)),
        1e-4,
        'LayerNorm without affine',
      );
    });

    it('normalization gradients match finite differences', () => {
      const x = tensor([2, 4], 16, 2);
      gradCheck(
        asFn({ op: 'RMSNormalization', x: 'x', scale: 's', epsilon: 1e-5 }, ['x', 's']),
        [x, tensor([4], 17)],
        { what: 'RMSNorm' },
      );
      gradCheck(
        asFn({ op: 'LayerNormalization', x: 'x', scale: 's', bias: 'b', epsilon: 1e-5 }, [
          'x',
          's',
          'b',
        ]),
        [x, tensor([4], 18), tensor([4], 19)],
        { what: 'LayerNorm' },
      );
    });

    it('Attention: causal and bidirectional, grouped KV heads, scale 1/√Dh', () => {
      const [b, t, hq, hkv, dh] = [2, 4, 4, 2, 3];
      const q = tensor([b, t, hq * dh], 20);
      const k = tensor([b, t, hkv * dh], 21);
      const v = tensor([b, t, hkv * dh], 22);
      for (const causal of [true, false]) {
        for (const [qh, kvh, kk, vv] of [
          [hq, hkv, k, v],
          [2, 2, tensor([b, t, 2 * 6], 23), tensor([b, t, 2 * 6], 24)],
        ] as const) {
          const y = op(
            { op: 'Attention', q: 'q', k: 'k', v: 'v', qHeads: qh, kvHeads: kvh, causal },
            {
              q,
              k: kk,
              v: vv,
            },
          );
          const qv = arr<T3>(q);
          const expected = qv.map((qm, i) =>
            attentionRef(qm, arr<T3>(kk)[i]!, arr<T3>(vv)[i]!, qh, kvh, causal),
          );
          assertClose(y, expected, 1e-4, `Attention causal=${causal} heads ${qh}/${kvh}`);
        }
      }
      // Causal: the first position sees only itself, so its output is v[0] of its KV head.
      const y = arr<T3>(
        op(
          { op: 'Attention', q: 'q', k: 'k', v: 'v', qHeads: hq, kvHeads: hkv, causal: true },
          { q, k, v },
        ),
      );
      const v0 = arr<T3>(v)[0]![0]!;
      assertClose(
        y[0]![0],
        [...v0.slice(0, dh), ...v0.slice(0, dh), ...v0.slice(dh), ...v0.slice(dh)],
        1e-6,
      );
    });

    it('Attention gradients (causal, grouped) match finite differences', () => {
      const spec: OpSpec = {
        op: 'Attention',
        q: 'q',
        k: 'k',
        v: 'v',
        qHeads: 4,
        kvHeads: 2,
        causal: true,
      };
      gradCheck(
        asFn(spec, ['q', 'k', 'v']),
        [tensor([1, 3, 8], 25), tensor([1, 3, 4], 26), tensor([1, 3, 4], 27)],
        {
          what: 'Attention',
        },
      );
    });

    it('RotaryEmbedding: rotate_half RoPE on packed heads, positions 0..T-1', () => {
      const x = tensor([2, 5, 8], 28);
      const y = op({ op: 'RotaryEmbedding', x: 'x', heads: 2, theta: 10000 }, { x });
      assertClose(
        y,
        arr<T3>(x).map((m) => ropeRef(m, 2, 10000)),
        1e-5,
        'RoPE',
      );
      // Position 0 is unrotated; rotation keeps each pair's norm.
      assertClose(arr<T3>(y)[0]![0], arr<T3>(x)[0]![0], 0);
      const theta = op({ op: 'RotaryEmbedding', x: 'x', heads: 2, theta: 100 }, { x });
      assertClose(
        theta,
        arr<T3>(x).map((m) => ropeRef(m, 2, 100)),
        1e-5,
        'RoPE θ=100',
      );
      gradCheck(
        asFn({ op: 'RotaryEmbedding', x: 'x', heads: 2, theta: 10 }, ['x']),
        [tensor([1, 3, 8], 29)],
        {
          what: 'RoPE',
        },
      );
    });

    it('StopGradient passes values and cuts the tape: nothing upstream is back-propagated', () => {
      let upstreamGrads = 0;
      const counted = tf.customGrad((x, _save) => ({
        value: tf.mul(x as tf.Tensor, tf.scalar(3)),
        gradFunc: (dy) => {
          upstreamGrads++;
          return tf.mul(dy as tf.Tensor, tf.scalar(3));
        },
      }));
      const x = tensor([3], 30);
      const y = op({ op: 'StopGradient', x: 'x' }, { x });
      assertClose(y, x, 0);
      // d/dx [x + stop(3x)] = 1 exactly, and the detached branch is never visited.
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.add(t, stopGradient(counted(t)))))(x);
      assert.deepEqual(Array.from(g.dataSync()), [1, 1, 1]);
      assert.equal(upstreamGrads, 0);
      // Only through the detached branch: there is no gradient at all.
      assert.throws(
        () => tf.grad((t: tf.Tensor) => tf.sum(stopGradient(counted(t))))(x),
        /Cannot compute gradient/,
      );
      // Sharing the data is counted: disposing x keeps the detached copy alive and balanced.
      const before = tf.memory().numTensors;
      const a = tensor([2], 31);
      const d = stopGradient(a);
      a.dispose();
      assert.deepEqual(d.shape, [2]);
      assert.equal(d.dataSync().length, 2);
      d.dispose();
      assert.equal(tf.memory().numTensors, before);
    });

    it('Dropout in training zeroes about `rate` and rescales the rest by 1/(1 − rate)', () => {
      const x = tf.ones([64, 64]);
      const y = op({ op: 'Dropout', x: 'x', rate: 0.25 }, { x }, true).dataSync();
      const zeros = y.filter((v) => v === 0).length / y.length;
      assert.ok(Math.abs(zeros - 0.25) < 0.03, `zeroed fraction ${zeros}`);
      assert.ok(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
    });
  });
}
