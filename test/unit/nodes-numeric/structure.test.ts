import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { IrProgram } from '../../../engine/graph/ir.ts';
import { materialize } from '../../../engine/graph/init.ts';
import { runProgram } from '../../../engine/runtime/executor.ts';
import { createWeights, type WeightStore } from '../../../engine/runtime/weights.ts';
import {
  assertClose,
  compileSpec,
  type GraphSpec,
  harness,
  IDS,
  type M,
  mm,
  randomize,
  rmsRef,
  runSpec,
  tensor,
  type T3,
  tokens,
  useBackend,
  valueOf,
  w,
} from './helpers.ts';
import { unrollLoops } from '../../../engine/graph/ir/unroll.ts';

const D = 4;

/** z' = RMSNorm((x + z) · W): a tiny recurrent cell. */
const cell: GraphSpec = {
  nodes: [
    { id: 'x', kind: 'component-input', params: { name: 'x' } },
    { id: 'z', kind: 'component-input', params: { name: 'z' } },
    { id: 'sum', kind: 'residual-add' },
    { id: 'lin', kind: 'linear', params: { inFeatures: D, outFeatures: D } },
    { id: 'norm', kind: 'rms-norm', params: { width: D, learnedScale: false } },
    { id: 'out', kind: 'component-output', params: { name: 'z' } },
  ],
  edges: [
    ['x.out', 'sum.a'],
    ['z.out', 'sum.b'],
    ['sum.out', 'lin.x'],
    ['lin.out', 'norm.x'],
    ['norm.out', 'out.value'],
  ],
};

function recursionProgram(params: Record<string, unknown>, mode: 'full' | 'step' = 'full') {
  return compileSpec(
    {
      nodes: [
        { id: 'tokens', kind: 'token-input', params: { vocab: 7, maxLength: 3 } },
        { id: 'embed', kind: 'token-embedding', params: { vocab: 7, width: D } },
        { id: 'init', kind: 'latent-init', params: { width: D, seed: 4 } },
        {
          id: 'rec',
          kind: 'recursion',
          params: { component: 'cell', carry: [{ output: 'z', input: 'z' }], ...params },
        },
        { id: 'head', kind: 'lm-head', params: { width: D, vocab: 7 } },
      ],
      edges: [
        ['tokens.tokens', 'embed.tokens'],
        ['embed.out', 'init.like'],
        ['embed.out', 'rec.x'],
        ['init.out', 'rec.z'],
        ['rec.z', 'head.x'],
      ],
    },
    { cell },
    mode,
  );
}

const step = (x: M, z: M, W: M) =>
  rmsRef(
    mm(
      x.map((r, i) => r.map((v, j) => v + z[i]![j]!)),
      W,
    ),
    1e-5,
  );

/** tfjs version of the cell, for manual gradients. */
const stepTf = (x: tf.Tensor, z: tf.Tensor, W: tf.Tensor) => {
  const h = tf.matMul(tf.reshape(tf.add(x, z), [-1, D]), W);
  const n = tf.mul(h, tf.rsqrt(tf.add(tf.mean(tf.square(h), -1, true), tf.scalar(1e-5))));
  return tf.reshape(n, x.shape);
};

function gradsByIrName(p: IrProgram, store: WeightStore, ids: tf.Tensor, r: tf.Tensor) {
  const { grads, value } = tf.variableGrads(
    () =>
      tf.sum(
        tf.mul(runProgram(p, store, { tokens: ids }, ['head']).head as tf.Tensor, r),
      ) as tf.Scalar,
  );
  value.dispose();
  const byVar = new Map([...store.params].map(([k, v]) => [v.name, k]));
  return Object.fromEntries(Object.entries(grads).map(([k, g]) => [byVar.get(k) as string, g]));
}

describe('structure nodes, numerically', () => {
  before(() => useBackend('cpu'));

  it('latent-init broadcasts a fixed truncated-normal vector to every position', () => {
    const p = harness(
      D,
      [{ id: 'init', kind: 'latent-init', params: { width: D, std: 0.5, seed: 3 } }],
      [['embed.out', 'init.like']],
    );
    const buffer = p.buffers.get('init/init3');
    assert.ok(buffer);
    const ids = tokens(IDS);
    const { out, weights } = runSpec(p, { tokens: ids }, [valueOf(p, 'init')]);
    const v = Array.from(materialize(buffer.init, buffer.shape, buffer.seed));
    assert.ok(v.every((x) => Math.abs(x) <= 1) && v.some((x) => x !== 0));
    assertClose(
      out[valueOf(p, 'init')],
      IDS.map((r) => r.map(() => v)),
      0,
    );
    assert.equal(weights.params.has('init/init3'), false);
    ids.dispose();
    weights.dispose();
  });

  it('component instances: shared use one variable twice, unshared have their own', () => {
    const blk: GraphSpec = {
      nodes: [
        { id: 'h', kind: 'component-input', params: { name: 'h' } },
        { id: 'lin', kind: 'linear', params: { inFeatures: D, outFeatures: D } },
        { id: 'out', kind: 'component-output', params: { name: 'h' } },
      ],
      edges: [
        ['h.out', 'lin.x'],
        ['lin.out', 'out.value'],
      ],
    };
    for (const shared of [true, false]) {
      const p = harness(
        D,
        [
          { id: 'c1', kind: 'component', params: { component: 'blk', shared } },
          { id: 'c2', kind: 'component', params: { component: 'blk', shared } },
        ],
        [
          ['embed.out', 'c1.h'],
          ['c1.h', 'c2.h'],
        ],
        { components: { blk } },
      );
      const names = shared
        ? ['blk/lin/weight', 'blk/lin/weight']
        : ['c1/lin/weight', 'c2/lin/weight'];
      assert.deepEqual(
        [...p.params.keys()].filter((k) => k.includes('lin')),
        [...new Set(names)],
      );
      const ids = tokens(IDS);
      const { out, weights } = runSpec(p, { tokens: ids }, [valueOf(p, 'embed'), valueOf(p, 'c2')]);
      const [w1, w2] = names.map((n) => w(weights, n) as M) as [M, M];
      const x = out[valueOf(p, 'embed')] as T3;
      assertClose(
        out[valueOf(p, 'c2')],
        x.map((m) => mm(mm(m, w1), w2)),
        1e-5,
        `shared=${shared}`,
      );
      if (shared) {
        // One variable used twice: its gradient is the sum of both uses.
        const r = tensor([2, 3, D], 40);
        const wv = weights.params.get('blk/lin/weight') as tf.Variable;
        const xt = tf.tensor(x);
        const manual = tf.grad((W: tf.Tensor) =>
          tf.sum(
            tf.mul(tf.matMul(tf.matMul(tf.reshape(xt, [-1, D]), W), W), tf.reshape(r, [-1, D])),
          ),
        )(wv);
        const { grads } = tf.variableGrads(
          () =>
            tf.sum(
              tf.mul(
                runProgram(p, weights, { tokens: ids }, [valueOf(p, 'c2')])[
                  valueOf(p, 'c2')
                ] as tf.Tensor,
                r,
              ),
            ) as tf.Scalar,
          [wv],
        );
        assertClose(grads[wv.name], manual, 1e-4, 'shared gradient');
        tf.dispose([r, xt, manual, grads]);
      }
      ids.dispose();
      weights.dispose();
    }
  });

  it('recursion: 3 steps equal three manual applications of the component', () => {
    const p = recursionProgram({ steps: 3 });
    const ids = tokens(IDS);
    const { out, weights } = runSpec(p, { tokens: ids }, [
      valueOf(p, 'embed'),
      valueOf(p, 'init'),
      'head',
    ]);
    const W = w(weights, 'cell/lin/weight') as M;
    const x = out[valueOf(p, 'embed')] as T3;
    let z = out[valueOf(p, 'init')] as T3;
    for (let s = 0; s < 3; s++) z = z.map((m, b) => step(x[b] as M, m, W));
    assertClose(
      out.head,
      z.map((m) => mm(m, w(weights, 'head/weight') as M)),
      1e-4,
      'recursion',
    );
    ids.dispose();
    weights.dispose();
  });

  it('recursion with gradSteps = 1: gradients flow only through the last step', () => {
    const ids = tokens(IDS);
    const r = tensor([2, 3, 7], 41);
    const results: Record<string, tf.Tensor>[] = [];
    for (const gradSteps of [1, 3]) {
      const p = recursionProgram({ steps: 3, gradSteps });
      const detached = unrollLoops(p).ops.filter((o) => o.op === 'StopGradient');
      assert.equal(detached.length, gradSteps === 1 ? 2 : 0);
      const store = createWeights(p, 1);
      randomize(store);
      const grads = gradsByIrName(p, store, ids, r);
      if (gradSteps === 1) {
        // Manual: z2 is a constant; only step 3 (and the head) sees W, the table and Whead.
        const vars = ['cell/lin/weight', 'embed/table', 'head/weight'].map(
          (n) => store.params.get(n) as tf.Variable,
        );
        const init = runProgram(p, store, { tokens: ids }, [valueOf(p, 'init')])[
          valueOf(p, 'init')
        ] as tf.Tensor;
        const [W, table] = vars as tf.Tensor[] as [tf.Tensor, tf.Tensor];
        const x = tf.gather(table, ids);
        let z = init;
        for (let s = 0; s < 2; s++) z = stepTf(x, z, W);
        const manual = tf.grads((Wv: tf.Tensor, tv: tf.Tensor, hv: tf.Tensor) => {
          const z3 = stepTf(tf.gather(tv, ids), z, Wv);
          return tf.sum(tf.mul(tf.reshape(tf.matMul(tf.reshape(z3, [-1, D]), hv), [2, 3, 7]), r));
        })(vars);
        ['cell/lin/weight', 'embed/table', 'head/weight'].forEach((n, i) =>
          assertClose(grads[n], manual[i], 1e-3, `${n} with gradSteps 1`),
        );
        tf.dispose([init, x, z, manual]);
      }
      results.push(grads);
      store.dispose();
    }
    // Through all three steps the recurrent weight's gradient differs.
    const diff = tf.tidy(
      () =>
        tf
          .max(tf.abs(tf.sub(results[0]!['cell/lin/weight']!, results[1]!['cell/lin/weight']!)))
          .dataSync()[0],
    );
    assert.ok((diff ?? 0) > 1e-4, `gradSteps changed nothing (${diff})`);
    tf.dispose([ids, r, ...results.map((g) => Object.values(g)).flat()]);
  });

  it('deep-supervision step mode: init without state feeds, then one step from the fed state', () => {
    const p = recursionProgram({ steps: 4, deepSupervision: true }, 'step');
    const sup = p.supervision;
    assert.ok(sup);
    assert.equal(sup.steps, 4);
    const [state] = sup.state;
    assert.ok(state);
    assert.deepEqual(
      p.inputs.map((i) => [i.name, i.role]),
      [
        ['tokens', 'tokens'],
        ['rec.z', 'state'],
      ],
    );
    const store = createWeights(p, 1);
    randomize(store);
    const ids = tokens(IDS);
    const init = runProgram(p, store, { tokens: ids }, [state.init, valueOf(p, 'embed')]);
    const z0 = init[state.init] as tf.Tensor;
    assert.deepEqual(z0.shape, [2, 3, D]);
    const next = runProgram(p, store, { tokens: ids, 'rec.z': z0 }, [state.output, 'head']);
    const x = init[valueOf(p, 'embed')]!.arraySync() as T3;
    const W = w(store, 'cell/lin/weight') as M;
    const z1 = (z0.arraySync() as T3).map((m, b) => step(x[b] as M, m, W));
    assertClose(next[state.output], z1, 1e-4, 'one step');
    assertClose(
      next.head,
      z1.map((m) => mm(m, w(store, 'head/weight') as M)),
      1e-4,
      'head on the step',
    );
    // Feeding the next state again takes the second step.
    const again = runProgram(p, store, { tokens: ids, 'rec.z': next[state.output]! }, [
      state.output,
    ]);
    assertClose(
      again[state.output],
      z1.map((m, b) => step(x[b] as M, m, W)),
      1e-4,
      'two steps',
    );
    tf.dispose([init, next, again, ids]);
    store.dispose();
  });
});
