import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../runtime/ops/gradients.ts';
import { bceWithLogits, correctness, maskedCrossEntropy } from './loss.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

const logitsRows = [
  [2, 0, -1],
  [0.5, 0.5, 3],
  [-2, 1, 0],
];

function refCe(rows: number[][], targets: number[], s: (x: number) => number): number {
  let sum = 0;
  let n = 0;
  rows.forEach((r, i) => {
    const t = targets[i]!;
    if (t < 0) return;
    const z = r.reduce((a, x) => a + s(x), 0);
    sum += -Math.log(s(r[t]!) / z);
    n++;
  });
  return sum / n;
}

test('masked cross-entropy skips IGNORE positions and matches softmax CE by hand', () => {
  const logits = tf.tensor3d([logitsRows]); // [1, 3, 3]
  const targets = Int32Array.from([0, -1, 1]);
  const loss = maskedCrossEntropy(logits, targets, 'ce');
  const expected = refCe(logitsRows, [0, -1, 1], Math.exp);
  assert.ok(Math.abs(loss.dataSync()[0]! - expected) < 1e-5);
  tf.dispose([logits, loss]);
});

test('stable-max cross-entropy uses s(x) = 1/(1−x) for x<0, x+1 otherwise, and has a gradient', () => {
  const s = (x: number) => (x < 0 ? 1 / (1 - x) : x + 1);
  const logits = tf.tensor2d(logitsRows);
  const targets = Int32Array.from([2, 2, 1]);
  const loss = maskedCrossEntropy(logits, targets, 'stablemax');
  assert.ok(Math.abs(loss.dataSync()[0]! - refCe(logitsRows, [2, 2, 1], s)) < 1e-5);
  // Gradient against central differences on the first logit.
  const g = tf.grad((x: tf.Tensor) => maskedCrossEntropy(x, targets, 'stablemax'))(logits);
  const h = 1e-3;
  const bump = (d: number) => {
    const r = logitsRows.map((row) => [...row]);
    r[0]![0]! += d;
    return refCe(r, [2, 2, 1], s);
  };
  const numeric = (bump(h) - bump(-h)) / (2 * h);
  assert.ok(Math.abs(g.dataSync()[0]! - numeric) < 1e-3);
  tf.dispose([logits, loss, g]);
});

test('stable-max CE and its whole gradient match a float64 reference on 200 rows of wide logits', () => {
  const s = (x: number) => (x < 0 ? 1 / (1 - x) : x + 1);
  const ds = (x: number) => (x < 0 ? 1 / (1 - x) ** 2 : 1);
  // Deterministic logits in ±30 (stable-max's point: no overflow where exp would be huge).
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 60 - 30;
  const rows = Array.from({ length: 200 }, () => Array.from({ length: 11 }, rand));
  const targets = rows.map((_, i) => (i % 13 === 0 ? -1 : i % 11));
  const counted = targets.filter((t) => t >= 0).length;
  const logits = tf.tensor2d(rows);
  const t = Int32Array.from(targets);
  const loss = maskedCrossEntropy(logits, t, 'stablemax');
  const expected = refCe(rows, targets, s);
  assert.ok(Math.abs(loss.dataSync()[0]! - expected) < 1e-5 * Math.max(1, expected));
  // d/dx_j of −log(s(x_t)/Σ s) = ds(x_j)/Σ s − [j = t]·ds(x_t)/s(x_t), averaged over counted rows.
  const g = tf
    .grad((x: tf.Tensor) => maskedCrossEntropy(x, t, 'stablemax'))(logits)
    .dataSync();
  let worst = 0;
  rows.forEach((r, i) => {
    const tgt = targets[i]!;
    const z = r.reduce((a, x) => a + s(x), 0);
    r.forEach((x, j) => {
      const ref = tgt < 0 ? 0 : (ds(x) / z - (j === tgt ? ds(x) / s(x) : 0)) / counted;
      worst = Math.max(worst, Math.abs(g[i * 11 + j]! - ref));
    });
  });
  assert.ok(worst < 1e-6, `largest gradient error ${worst}`);
  tf.dispose([logits, loss]);
});

test('a target outside the vocabulary is refused with a sentence', () => {
  const logits = tf.tensor2d(logitsRows);
  assert.throws(
    () => maskedCrossEntropy(logits, Int32Array.from([0, 5, 1]), 'ce'),
    /outside the model's vocabulary of 3/,
  );
  logits.dispose();
});

test('BCE with logits matches −y·log σ(x) − (1−y)·log(1−σ(x))', () => {
  const xs = [-5, 0.3, 2];
  const ys = [0, 1, 1];
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const expected =
    xs.reduce((a, x, i) => a - ys[i]! * Math.log(sig(x)) - (1 - ys[i]!) * Math.log(1 - sig(x)), 0) /
    3;
  const l = bceWithLogits(tf.tensor1d(xs), Float32Array.from(ys));
  assert.ok(Math.abs(l.dataSync()[0]! - expected) < 1e-6);
  l.dispose();
});

test('correctness counts cells and whole examples, ignoring IGNORE', () => {
  // 2 examples × 2 positions; argmax rows: 0, 2, 1, 0.
  const logits = tf.tensor3d([
    [
      [2, 0, -1],
      [0.5, 0.5, 3],
    ],
    [
      [-2, 1, 0],
      [1, 0, 0],
    ],
  ]);
  const c = correctness(logits, Int32Array.from([0, -1, 1, 2]), 2);
  assert.equal(c.correct, 2);
  assert.equal(c.counted, 3);
  assert.deepEqual(Array.from(c.exact), [1, 0]);
  // Open cells: targets that differ from the input token (the question's blanks). Inputs
  // 0 (a given clue, right), 9, 5 (blank, right), 5 (blank, wrong): 1 of 2 open cells right.
  const open = correctness(
    logits,
    Int32Array.from([0, -1, 1, 2]),
    2,
    Int32Array.from([0, 9, 5, 5]),
  );
  assert.equal(open.openCounted, 2);
  assert.equal(open.openCorrect, 1);
  assert.equal(c.openCounted, 0, 'without inputs nothing is open');
  logits.dispose();
});
