import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AdamW } from './adamw.ts';
import { clipByGlobalNorm } from './clip.ts';
import { parseTrainConfig, TrainConfig } from './config.ts';
import { Ema, emaRate } from './ema.ts';
import { learningRate } from './schedule.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)),
      `index ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

test('AdamW matches the update formula written out by hand (decay on one parameter only)', () => {
  const w0 = [0.5, -1.0, 2.0];
  const b0 = [0.1, -0.2];
  const params = new Map([
    ['w', tf.variable(tf.tensor1d(w0))],
    ['b', tf.variable(tf.tensor1d(b0))],
  ]);
  const betas = [0.9, 0.95] as const;
  const eps = 1e-8;
  const wd = 0.3;
  const opt = new AdamW(params, new Set(['w']), { betas, eps, weightDecay: wd });
  const gradsSeq = [
    { w: [0.1, -0.3, 0.7], b: [1.0, -2.0] },
    { w: [-0.2, 0.05, 0.4], b: [0.5, 0.25] },
    { w: [0.3, 0.3, -0.1], b: [-1.5, 0.75] },
  ];
  const lrs = [0.01, 0.02, 0.005];
  // Reference in float64, straight from the AdamW paper / PyTorch's AdamW.
  const ref = { w: [...w0], b: [...b0] };
  const m = { w: [0, 0, 0], b: [0, 0] };
  const v = { w: [0, 0, 0], b: [0, 0] };
  for (let t = 1; t <= gradsSeq.length; t++) {
    const g = gradsSeq[t - 1]!;
    const lr = lrs[t - 1]!;
    for (const k of ['w', 'b'] as const) {
      for (let i = 0; i < ref[k].length; i++) {
        m[k][i] = betas[0] * m[k][i]! + (1 - betas[0]) * g[k][i]!;
        v[k][i] = betas[1] * v[k][i]! + (1 - betas[1]) * g[k][i]! ** 2;
        const mhat = m[k][i]! / (1 - betas[0] ** t);
        const vhat = v[k][i]! / (1 - betas[1] ** t);
        const decay = k === 'w' ? 1 - lr * wd : 1;
        ref[k][i] = ref[k][i]! * decay - (lr * mhat) / (Math.sqrt(vhat) + eps);
      }
    }
    const grads = { w: tf.tensor1d(g.w), b: tf.tensor1d(g.b) };
    opt.apply(grads, lr);
    tf.dispose(Object.values(grads));
    close(params.get('w')!.dataSync(), ref.w);
    close(params.get('b')!.dataSync(), ref.b);
  }
  assert.equal(opt.step, 3);
  const state = opt.state();
  close(state['m/w']!.dataSync(), m.w);
  close(state['v/b']!.dataSync(), v.b);
  opt.dispose();
  tf.dispose([...params.values()]);
});

test('AdamW state round-trips through load()', () => {
  const params = new Map([['w', tf.variable(tf.tensor1d([1, 2]))]]);
  const a = new AdamW(params, new Set(), { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const g = { w: tf.tensor1d([0.5, -0.5]) };
  a.apply(g, 0.1);
  const params2 = new Map([['w', tf.variable(params.get('w')!.clone())]]);
  const b = new AdamW(params2, new Set(), { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  b.load(a.state(), a.step);
  a.apply(g, 0.1);
  b.apply(g, 0.1);
  close(params2.get('w')!.dataSync(), params.get('w')!.dataSync(), 0);
  a.dispose();
  b.dispose();
  tf.dispose([g.w, ...params.values(), ...params2.values()]);
});

test('AdamATan2: step lr·atan2(m̂, √v̂) with decoupled decay, against a float64 hand computation', () => {
  const w0 = [0.5, -1, 2];
  const gs = [
    [0.3, -0.2, 0],
    [-0.1, 0.4, 1e-9],
    [0.2, 0.2, -0.5],
  ];
  const params = new Map([['w', tf.variable(tf.tensor1d(w0))]]);
  const opt = new AdamW(params, new Set(['w']), {
    betas: [0.9, 0.95],
    eps: 1e-8,
    weightDecay: 0.1,
    optimizer: 'adam-atan2',
  });
  const w = [...w0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  const lr = 0.01;
  gs.forEach((g, t) => {
    for (let i = 0; i < 3; i++) {
      m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
      v[i] = 0.95 * v[i]! + 0.05 * g[i]! ** 2;
      const mHat = m[i]! / (1 - 0.9 ** (t + 1));
      const vRoot = Math.sqrt(v[i]! / (1 - 0.95 ** (t + 1)));
      w[i] = w[i]! * (1 - lr * 0.1) - lr * Math.atan2(mHat, vRoot);
    }
    const grad = { w: tf.tensor1d(g) };
    opt.apply(grad, lr);
    grad.w.dispose();
    close(params.get('w')!.dataSync(), w);
  });
  // The first step of a coordinate with a zero gradient is atan2(0, 0) = 0: no NaN, no ε.
  assert.ok(params.get('w')!.dataSync().every(Number.isFinite));
  opt.dispose();
  tf.dispose([...params.values()]);
});

test('global-norm clipping matches a hand computation', () => {
  // ‖(3, 4)‖² + ‖(12)‖² = 25 + 144 = 169 → norm 13.
  const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
  const clipped = clipByGlobalNorm(grads, 6.5);
  assert.equal(clipped.norm, 13);
  close(clipped.grads.a!.dataSync(), [1.5, 2]);
  close(clipped.grads.b!.dataSync(), [6]);
  const unclipped = clipByGlobalNorm(grads, 20);
  close(unclipped.grads.a!.dataSync(), [3, 4]);
  const off = clipByGlobalNorm(grads, 0);
  close(off.grads.b!.dataSync(), [12]);
  tf.dispose([
    ...Object.values(grads),
    ...Object.values(clipped.grads),
    ...Object.values(unclipped.grads),
    ...Object.values(off.grads),
  ]);
});

test('clipping reports a NaN norm when any gradient is NaN', () => {
  const grads = { a: tf.tensor1d([1, NaN]) };
  const r = clipByGlobalNorm(grads, 1);
  assert.ok(Number.isNaN(r.norm));
  tf.dispose([grads.a, r.grads.a!]);
});

test('learning-rate schedules: warmup, cosine, linear and constant values', () => {
  const base = { lr: 1, warmup: 4, minLrRatio: 0.1, steps: 14 };
  // Warmup: (step + 1) / warmup.
  assert.equal(learningRate(0, { ...base, schedule: 'cosine' }), 0.25);
  assert.equal(learningRate(3, { ...base, schedule: 'cosine' }), 1);
  // After warmup: progress = (step − 4) / 9 over steps 4..13.
  assert.equal(learningRate(4, { ...base, schedule: 'cosine' }), 1);
  assert.ok(Math.abs(learningRate(13, { ...base, schedule: 'cosine' }) - 0.1) < 1e-12);
  const mid = 4 + 4.5;
  assert.ok(Math.abs(learningRate(mid, { ...base, schedule: 'cosine' }) - 0.55) < 1e-12);
  assert.ok(
    Math.abs(learningRate(7, { ...base, schedule: 'linear' }) - (1 - 0.9 * (3 / 9))) < 1e-12,
  );
  assert.equal(learningRate(10, { ...base, schedule: 'constant' }), 1);
  assert.equal(learningRate(0, { ...base, warmup: 0, schedule: 'constant' }), 1);
});

test('EMA follows e ← rate·e + (1 − rate)·p and swaps weights in and out', async () => {
  const p = tf.variable(tf.tensor1d([0, 10]));
  const params = new Map([['p', p]]);
  const ema = new Ema(params, 0.9, false);
  p.assign(tf.tensor1d([1, 0]));
  ema.update(0); // 0.9·(0,10) + 0.1·(1,0) = (0.1, 9)
  close(ema.shadow.get('p')!.dataSync(), [0.1, 9]);
  const seen = await ema.withAveraged(() => Array.from(p.dataSync()));
  close(seen, [0.1, 9]);
  close(p.dataSync(), [1, 0]);
  ema.dispose();
  p.dispose();
});

test('EMA warm-up: rate (1+k)/(10+k) capped at the rate; after 1,000 steps at 0.999 the average no longer holds the initial weights', () => {
  assert.equal(emaRate(0.999, 0, true), 0.1);
  assert.equal(emaRate(0.999, 8, true), 0.5);
  assert.equal(emaRate(0.999, 100_000, true), 0.999);
  assert.equal(emaRate(0.999, 0, false), 0.999);
  // The initial weights' share of the average after 1,000 updates: Π r_k.
  const share = (warm: boolean) => {
    let s = 1;
    for (let k = 0; k < 1000; k++) s *= emaRate(0.999, k, warm);
    return s;
  };
  assert.ok(share(false) > 0.36, `plain 0.999 keeps ${share(false)}`);
  assert.ok(share(true) < 1e-6, `warmed-up keeps ${share(true)}`);
  const p = tf.variable(tf.tensor1d([0]));
  const ema = new Ema(new Map([['p', p]]), 0.999);
  p.assign(tf.tensor1d([1]));
  ema.update(0); // r = 0.1: 0.1·0 + 0.9·1
  close(ema.shadow.get('p')!.dataSync(), [0.9]);
  ema.dispose();
  p.dispose();
});

test('TrainConfig: empty input gives documented defaults; bad fields are named', () => {
  const c = parseTrainConfig({});
  assert.equal(c.batch, 32);
  assert.deepEqual(c.betas, [0.9, 0.95]);
  assert.equal(c.haltWeight, 0.5);
  assert.equal(TrainConfig.shape.lr.description, 'Peak learning rate.');
  assert.throws(() => parseTrainConfig({ lr: -1 }), /field "lr" is invalid/);
  assert.throws(() => parseTrainConfig({ bogus: 1 }), /invalid/);
  assert.equal(c.optimizer, 'adamw');
  assert.equal(c.emaWarmup, true);
  assert.equal(c.haltExplore, 0);
});
