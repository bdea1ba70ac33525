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
  logits.dispose();
});
