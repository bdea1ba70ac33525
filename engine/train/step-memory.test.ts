import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { createDataSource } from '../data/index.ts';
import type { Batch } from '../data/types.ts';
import type { IrProgram } from '../graph/ir.ts';
import { selectBackend } from '../runtime/backend.ts';
import { evalOp } from '../runtime/ops/eval-op.ts';
import { opResults } from '../graph/ir/program.ts';
import { peakMemory } from '../runtime/peak-memory.ts';
import { createWeights, type WeightStore } from '../runtime/weights.ts';
import { bceWithLogits, correctness, maskedCrossEntropy } from './loss.ts';
import { withoutPuzzlePrefix } from '../../test/support/init.ts';
import { train } from './trainer.ts';
import { forwardTensors, lossOnly } from './model.ts';
import {
  batchFeeds,
  type BatchFeeds,
  initialState,
  prepareProgram,
  type TrainableProgram,
} from '../runtime/trainable-program.ts';
import { unrollLoops } from '../graph/ir/unroll.ts';

/**
 * TRM's T_rec − 1 passes without gradients run off the tape (engine/runtime/executor.ts): the
 * numbers stay those of the executor that recorded everything, and a training step's peak
 * memory no longer grows with the depth.
 */

before(async () => {
  await selectBackend('cpu');
});

/** The 4×4 TRM-MLP template at small dims. */
function trmMlp(dims: Record<string, number>): unknown {
  const doc = JSON.parse(readFileSync('templates/trm-mlp-sudoku.json', 'utf8')) as {
    dims: Record<string, number>;
  };
  doc.dims = { ...doc.dims, ...dims };
  return doc;
}

const sudoku = { type: 'sudoku', size: 4, pool: 50, validationSize: 16 } as const;

/**
 * The executor as it was: every op of the program evaluated in one scope, StopGradient by a
 * custom gradient on the tape, nothing freed before the end.
 */
function tapedEverything(
  source: IrProgram,
  weights: WeightStore,
  feeds: Record<string, tf.Tensor>,
  fetch: string[],
): Record<string, tf.Tensor> {
  const program = unrollLoops(source);
  return tf.tidy(() => {
    const env = new Map<string, tf.Tensor>();
    const get = (n: string) =>
      (env.get(n) ?? feeds[n] ?? weights.params.get(n) ?? weights.buffers.get(n))!;
    for (const op of program.ops) {
      const out = evalOp(op, get, {});
      const outs = Array.isArray(out) ? out : [out];
      opResults(op).forEach((name, k) => env.set(name, outs[k] as tf.Tensor));
    }
    const value = (name: string) => program.outputs.find((o) => o.name === name)?.value ?? name;
    return Object.fromEntries(fetch.map((name) => [name, tf.clone(get(value(name)))]));
  });
}

interface Setup {
  tp: TrainableProgram;
  weights: WeightStore;
  batch: Batch;
  feeds: BatchFeeds;
  state: tf.Tensor[];
  dispose(): void;
}

async function setup(dims: Record<string, number>, batchSize: number): Promise<Setup> {
  const source = await createDataSource(sudoku, 1);
  const tp = prepareProgram(trmMlp(dims) as never, source);
  const weights = createWeights(tp.program, 1);
  const batch = source.trainBatch(0, batchSize);
  const feeds = batchFeeds(tp, batch);
  const state = initialState(tp, weights, feeds);
  return {
    tp,
    weights,
    batch,
    feeds,
    state,
    dispose: () => {
      tf.dispose([...Object.values(feeds), ...state]);
      weights.dispose();
    },
  };
}

const opts = { training: false, seed: 1, loss: 'stablemax', haltWeight: 0.5 } as const;

interface StepResult {
  loss: number;
  grads: Record<string, Float32Array>;
  next: tf.Tensor[];
}

/** One training step's gradients; the next state is returned, the rest disposed. */
function step(s: Setup): StepResult {
  let next: tf.Tensor[] = [];
  return gradientsOf(
    () => {
      const t = forwardTensors(s.tp, s.weights, s.feeds, s.state, s.batch, opts);
      next = t.next;
      return lossOnly(t, true);
    },
    () => next,
  );
}

/** The same step through the taped executor, with forwardTensors()'s loss. */
function tapedStep(s: Setup): StepResult {
  const fetch = [s.tp.logits.name, s.tp.halt!.name];
  const states = s.tp.state.map((st) => st.output);
  let next: tf.Tensor[] = [];
  return gradientsOf(
    () => {
      const feeds: Record<string, tf.Tensor> = { ...s.feeds };
      s.tp.state.forEach((st, i) => (feeds[st.input] = s.state[i]!));
      const out = tapedEverything(s.tp.program, s.weights, feeds, [...fetch, ...states]);
      next = states.map((n) => tf.keep(out[n]!));
      // Cross-entropy, plus the halting BCE against "every cell right".
      const logits = out[s.tp.logits.name]!;
      const ce = maskedCrossEntropy(logits, s.batch.targets, opts.loss);
      const { exact } = correctness(logits, s.batch.targets, s.batch.batch, s.batch.inputs);
      const bce = bceWithLogits(out[s.tp.halt!.name]!, exact);
      return tf.add(ce, tf.mul(bce, opts.haltWeight));
    },
    () => next,
  );
}

function gradientsOf(f: () => tf.Scalar, next: () => tf.Tensor[]): StepResult {
  const { value, grads } = tf.variableGrads(f);
  const out = {
    loss: value.dataSync()[0]!,
    grads: Object.fromEntries(
      Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array]),
    ),
    next: next(),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

test('the no-gradient passes off the tape give the taped executor’s loss, gradients and state', async () => {
  const s = await setup({ D: 16, F_seq: 16, n: 2, T_rec: 3, N_sup: 3 }, 8);
  try {
    for (let k = 0; k < 3; k++) {
      const ours = step(s);
      const ref = tapedStep(s);
      assert.ok(Math.abs(ref.loss - ours.loss) <= 1e-6, `step ${k + 1} loss`);
      for (const [name, a] of Object.entries(ref.grads)) {
        const b = ours.grads[name]!;
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
        assert.ok(worst <= 1e-6, `step ${k + 1}: gradient of ${name} differs by ${worst}`);
      }
      ours.next.forEach((t, i) => {
        const d = tf.max(tf.abs(tf.sub(t, ref.next[i]!))).dataSync()[0]!;
        assert.equal(d, 0, `step ${k + 1}: next state ${i}`);
      });
      tf.dispose([...ref.next, ...s.state]);
      s.state = ours.next;
    }
  } finally {
    s.dispose();
  }
});

test('training losses are those the taped executor gave (commit 3b751a0, cpu backend)', async () => {
  // Recorded before the no-gradient passes left the tape; bit-for-bit the same since. A change
  // to the template itself (its dims, nodes or initialisers) changes them: re-record then. The
  // puzzle prefix came later; the recorded graph is the template without it.
  const before = [
    2.2707245349884033, 2.2972686290740967, 2.3470232486724854, 2.3097903728485107,
    2.1581993103027344, 2.309030771255493,
  ];
  const losses: number[] = [];
  const r = await train({
    document: withoutPuzzlePrefix(trmMlp({ D: 16, F_seq: 16, n: 2, T_rec: 3, N_sup: 2 })),
    data: sudoku,
    config: { backend: 'cpu', batch: 8, steps: 6, evalEvery: 0, evalExamples: 16, ema: 0 },
    onEvent: (e) => e.type === 'step' && losses.push(e.metrics.loss),
  });
  r.model.dispose();
  assert.equal(r.status, 'completed', r.error);
  losses.forEach((l, i) =>
    assert.ok(Math.abs(l - before[i]!) <= 1e-6, `step ${i + 1}: ${l} vs ${before[i]}`),
  );
});

/** Peak tfjs memory of one training step (forward, loss, gradients) above what was live. */
async function stepPeak(dims: Record<string, number>, batch: number, run = step) {
  const s = await setup(dims, batch);
  try {
    return await peakMemory(() => {
      const r = run(s);
      tf.dispose(r.next);
    });
  } finally {
    s.dispose();
  }
}

test('a training step’s peak memory does not grow with T_rec or N_sup', async () => {
  const B = 16;
  const dims = { D: 32, F_seq: 32, n: 2 };
  const shallow = await stepPeak({ ...dims, T_rec: 2, N_sup: 2 }, B);
  const deep = await stepPeak({ ...dims, T_rec: 6, N_sup: 16 }, B);
  // One [B, L, D] float32 activation: far less than a recursion step's activations.
  const activation = B * 16 * dims.D * 4;
  assert.ok(
    Math.abs(deep.bytes - shallow.bytes) < activation,
    `peak ${shallow.bytes} bytes at T_rec 2, ${deep.bytes} at T_rec 6 (one activation: ${activation})`,
  );
  assert.ok(
    Math.abs(deep.tensors - shallow.tensors) <= 2,
    `peak ${shallow.tensors} tensors at T_rec 2, ${deep.tensors} at T_rec 6`,
  );
  // The taped executor held every pass: the bound above is one it failed by far.
  const taped = [
    await stepPeak({ ...dims, T_rec: 2, N_sup: 2 }, B, tapedStep),
    await stepPeak({ ...dims, T_rec: 6, N_sup: 16 }, B, tapedStep),
  ];
  assert.ok(taped[1]!.bytes - taped[0]!.bytes > 10 * activation, JSON.stringify(taped));
});
