import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { createWeights } from '../../../engine/runtime/weights.ts';
import { runProgram } from '../../../engine/runtime/executor.ts';
import {
  addRow,
  assertClose,
  attentionRef,
  geluRef,
  harness,
  IDS,
  layerNormRef,
  type M,
  mapM,
  mm,
  reluRef,
  rmsRef,
  ropeRef,
  runSpec,
  siluRef,
  type T3,
  tokens,
  transpose,
  useBackend,
  valueOf,
  w,
  zip,
} from './helpers.ts';

/** Runs the harness and returns the embedding x, the node's output and the weights. */
function run(
  width: number,
  node: { kind: string; params: Record<string, unknown> },
  opts: { ids?: number[][]; fixedLength?: boolean; training?: boolean } = {},
) {
  const ids = opts.ids ?? IDS;
  const p = harness(width, [{ id: 'n', ...node }], [['embed.out', 'n.x']], {
    length: (ids[0] as number[]).length,
    fixedLength: opts.fixedLength ?? false,
  });
  const feed = tokens(ids);
  const { weights, out } = runSpec(p, { tokens: feed }, [valueOf(p, 'embed'), valueOf(p, 'n')], {
    training: opts.training ?? false,
    seed: 3,
  });
  feed.dispose();
  const x = out[valueOf(p, 'embed')] as T3;
  const y = out[valueOf(p, 'n')] as T3;
  const get = (local: string) => w(weights, `n/${local}`);
  const result = { x, y, get, weights };
  return result;
}

const vec = (v: unknown) => v as number[];
const mat = (v: unknown) => v as M;

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`node kinds, numerically, on ${backend}`, () => {
    before(() => useBackend(backend));

    it('attention: causal, RoPE, grouped KV heads, biases', () => {
      const params = { width: 8, heads: 4, kvHeads: 2, rope: true, ropeTheta: 100, bias: true };
      const { x, y, get, weights } = run(8, { kind: 'attention', params });
      const proj = (m: M, wn: string, bn: string) => addRow(mm(m, mat(get(wn))), vec(get(bn)));
      const expected = x.map((m) => {
        const q = ropeRef(proj(m, 'wq', 'bq'), 4, 100);
        const k = ropeRef(proj(m, 'wk', 'bk'), 2, 100);
        const att = attentionRef(q, k, proj(m, 'wv', 'bv'), 4, 2, true);
        return proj(att, 'wo', 'bo');
      });
      assertClose(y, expected, 1e-4, 'attention');
      weights.dispose();
    });

    it('attention: bidirectional, no RoPE', () => {
      const params = { width: 6, heads: 2, causal: false };
      const { x, y, get, weights } = run(6, { kind: 'attention', params });
      const expected = x.map((m) => {
        const [q, k, v] = ['wq', 'wk', 'wv'].map((n) => mm(m, mat(get(n)))) as [M, M, M];
        return mm(attentionRef(q, k, v, 2, 2, false), mat(get('wo')));
      });
      assertClose(y, expected, 1e-4, 'bidirectional attention');
      weights.dispose();
    });

    for (const activation of ['relu', 'gelu', 'swiglu'] as const) {
      it(`ffn with ${activation}`, () => {
        const params = { width: 4, hidden: 6, activation, bias: activation === 'relu' };
        const { x, y, get, weights } = run(4, { kind: 'ffn', params });
        const lin = (m: M, wn: string, bn: string) => {
          const h = mm(m, mat(get(wn)));
          return activation === 'relu' ? addRow(h, vec(get(bn))) : h;
        };
        const expected = x.map((m) => {
          const h1 = lin(m, 'w1', 'b1');
          const h =
            activation === 'swiglu'
              ? zip(mapM(h1, siluRef), mm(m, mat(get('w3'))), (a, b) => a * b)
              : mapM(h1, activation === 'gelu' ? geluRef : reluRef);
          return lin(h, 'w2', 'b2');
        });
        assertClose(y, expected, 1e-4, `ffn ${activation}`);
        weights.dispose();
      });
    }

    it('layer-norm with scale and bias', () => {
      const { x, y, get, weights } = run(5, {
        kind: 'layer-norm',
        params: { width: 5, eps: 1e-3 },
      });
      const expected = x.map((m) => layerNormRef(m, 1e-3, vec(get('scale')), vec(get('bias'))));
      assertClose(y, expected, 1e-4, 'layer-norm');
      weights.dispose();
    });

    it('rms-norm with and without a learned scale', () => {
      const a = run(5, { kind: 'rms-norm', params: { width: 5, eps: 1e-5 } });
      assertClose(
        a.y,
        a.x.map((m) => rmsRef(m, 1e-5, vec(a.get('scale')))),
        1e-4,
        'scaled',
      );
      a.weights.dispose();
      const b = run(5, { kind: 'rms-norm', params: { width: 5, learnedScale: false } });
      assert.equal(b.weights.params.has('n/scale'), false);
      assertClose(
        b.y,
        b.x.map((m) => rmsRef(m, 1e-5)),
        1e-4,
        'unscaled',
      );
      b.weights.dispose();
    });

    it('linear with bias', () => {
      const params = { inFeatures: 4, outFeatures: 3, bias: true };
      const { x, y, get, weights } = run(4, { kind: 'linear', params });
      assertClose(
        y,
        x.map((m) => addRow(mm(m, mat(get('weight'))), vec(get('bias')))),
        1e-5,
      );
      weights.dispose();
    });

    it('residual-add of two and three tensors', () => {
      const p = harness(
        3,
        [
          { id: 'lin', kind: 'linear', params: { inFeatures: 3, outFeatures: 3 } },
          { id: 'two', kind: 'residual-add' },
          { id: 'three', kind: 'residual-add' },
        ],
        [
          ['embed.out', 'lin.x'],
          ['embed.out', 'two.a'],
          ['lin.out', 'two.b'],
          ['embed.out', 'three.a'],
          ['lin.out', 'three.b'],
          ['two.out', 'three.c'],
        ],
      );
      const f = ['embed', 'lin', 'two', 'three'].map((id) => valueOf(p, id));
      const ids = tokens(IDS);
      const { out, weights } = runSpec(p, { tokens: ids }, f);
      const [x, l, two, three] = f.map((k) => out[k] as T3) as [T3, T3, T3, T3];
      const add = (a: T3, b: T3) => a.map((m, i) => zip(m, b[i] as M, (u, v) => u + v));
      assertClose(two, add(x, l), 1e-6, 'a + b');
      assertClose(three, add(add(x, l), add(x, l)), 1e-6, 'a + b + c');
      ids.dispose();
      weights.dispose();
    });

    it('dropout: identity at inference; in training zeroes some and keeps the mean', () => {
      const ids = Array.from({ length: 4 }, (_, b) =>
        Array.from({ length: 64 }, (_, t) => (b + t) % 7),
      );
      const infer = run(64, { kind: 'dropout', params: { rate: 0.5 } }, { ids });
      assertClose(infer.y, infer.x, 0, 'inference');
      infer.weights.dispose();
      // Positive inputs (|x|), so the mean is a meaningful check.
      const p = harness(
        64,
        [{ id: 'abs', kind: 'dropout', params: { rate: 0.5 } }],
        [['embed.out', 'abs.x']],
        {
          length: 64,
        },
      );
      const store = createWeights(p, 1);
      const table = store.params.get('embed/table') as tf.Variable;
      table.assign(tf.abs(table));
      const feed = tokens(ids);
      const res = runProgram(p, store, { tokens: feed }, [valueOf(p, 'embed'), valueOf(p, 'abs')], {
        training: true,
        seed: 5,
      });
      const xs = res[valueOf(p, 'embed')]?.dataSync() as Float32Array;
      const ys = res[valueOf(p, 'abs')]?.dataSync() as Float32Array;
      const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
      const zeros = ys.filter((v) => v === 0).length / ys.length;
      assert.ok(Math.abs(zeros - 0.5) < 0.03, `zeroed ${zeros}`);
      assert.ok(Math.abs(mean(ys) / mean(xs) - 1) < 0.04, `mean ratio ${mean(ys) / mean(xs)}`);
      ys.forEach((v, i) => assert.ok(v === 0 || Math.abs(v - 2 * xs[i]!) < 1e-6));
      tf.dispose([res, feed]);
      store.dispose();
    });

    it('sequence-mlp mixes along the sequence axis', () => {
      const params = { length: 3, hidden: 4, activation: 'swiglu' };
      const { x, y, get, weights } = run(
        2,
        { kind: 'sequence-mlp', params },
        { fixedLength: true },
      );
      const expected = x.map((m) => {
        const t = transpose(m); // [D, L]
        const h = zip(mapM(mm(t, mat(get('w1'))), siluRef), mm(t, mat(get('w3'))), (a, b) => a * b);
        return transpose(mm(h, mat(get('w2'))));
      });
      assertClose(y, expected, 1e-4, 'sequence-mlp');
      weights.dispose();
    });
  });
}
