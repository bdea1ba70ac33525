import * as tf from '@tensorflow/tfjs-core';
import { IGNORE } from '../data/types.ts';
import { fusedAvailable, fusedSoftmaxCrossEntropy } from '../runtime/native/index.ts';
import { stopGradient } from '../runtime/ops/primitives.ts';

export type LossKind = 'ce' | 'stablemax';

/**
 * Log-probabilities over the last axis of `logits` [N, V]: softmax, or the TRM code's
 * stable-max where s(x) = 1/(1−x) for x < 0 and x + 1 otherwise replaces exp. s is written
 * as relu(x) + 1/(1 + relu(−x)) so it is one differentiable expression without a branch.
 * (Only ops with gradients in engine/runtime/ops/gradients.ts are used here.)
 */
export function logProbs(logits: tf.Tensor2D, kind: LossKind): tf.Tensor2D {
  if (kind === 'ce') return tf.logSoftmax(logits);
  const s = tf.add(tf.relu(logits), tf.div(1, tf.add(tf.relu(tf.neg(logits)), 1)));
  return tf.sub(tf.log(s), tf.log(tf.sum(s, -1, true)));
}

/**
 * Mean cross-entropy over positions whose target is not IGNORE. `logits` is [..., V] with
 * one row per entry of `targets` (targets are already aligned per position by the data).
 */
export function maskedCrossEntropy(
  logits: tf.Tensor,
  targets: Int32Array,
  kind: LossKind,
): tf.Scalar {
  return tf.tidy(() => {
    const vocab = logits.shape[logits.shape.length - 1]!;
    const rows = tf.reshape(logits, [-1, vocab]) as tf.Tensor2D; // [..., V] -> [N, V]
    if (rows.shape[0] !== targets.length) {
      throw new Error(
        `The model produced ${rows.shape[0]} positions but the data has ${targets.length} targets; make the graph's sequence length match the data.`,
      );
    }
    const mask = new Float32Array(targets.length);
    const safe = new Int32Array(targets.length);
    let counted = 0;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (t === IGNORE) continue;
      if (t < 0 || t >= vocab) {
        throw new Error(
          `A target token (${t}) is outside the model's vocabulary of ${vocab}; set the graph's vocabulary size to the data's.`,
        );
      }
      mask[i] = 1;
      safe[i] = t;
      counted++;
    }
    if (kind === 'ce' && fusedAvailable()) {
      // Forward and gradient in one native pass; IGNORE rows (negative ids) are not scored.
      return fusedSoftmaxCrossEntropy(rows, tf.tensor1d(targets, 'int32'));
    }
    const picked = tf.sum(
      tf.mul(logProbs(rows, kind), tf.oneHot(tf.tensor1d(safe, 'int32'), vocab)),
      -1,
    );
    return tf.div(
      tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(mask)))),
      Math.max(1, counted),
    ) as tf.Scalar;
  });
}

/** Mean binary cross-entropy with logits: max(x,0) − x·y + log(1 + e^−|x|). */
export function bceWithLogits(logits: tf.Tensor, labels: Float32Array | tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const x = tf.reshape(logits, [-1]);
    const y = labels instanceof Float32Array ? tf.tensor1d(labels) : labels;
    return tf.mean(
      tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log(tf.add(1, tf.exp(tf.neg(tf.abs(x)))))),
    ) as tf.Scalar;
  });
}

/** Per-position and per-example correctness of argmax predictions (positions not IGNORE). */
export interface Correctness {
  /** Non-ignored positions predicted right. */
  correct: number;
  /** Non-ignored positions. */
  counted: number;
  /** Per example: 1 when every non-ignored position is right, else 0. */
  exact: Float32Array;
  /**
   * With the inputs: positions whose target differs from their input token (a puzzle's blank
   * cells, a maze's path) and how many of them are right. Copying the question scores 0 here.
   */
  openCorrect: number;
  openCounted: number;
}

export function correctness(
  logits: tf.Tensor,
  targets: Int32Array,
  batch: number,
  inputs?: Int32Array,
): Correctness {
  const predicted = predictions(logits, targets.length);
  const pred = predicted.dataSync() as Int32Array;
  predicted.dispose();
  return score(pred, targets, batch, inputs);
}

/** Argmax ids [N] of logits [..., V] with N rows. */
export function predictions(logits: tf.Tensor, rows: number): tf.Tensor1D {
  return tf.tidy(() => tf.argMax(tf.reshape(logits, [rows, -1]), -1));
}

/**
 * Per example [batch]: 1 when every non-ignored position of `predicted` [N] is right, on the
 * device (the halting head's target without a read-back). Off the gradient tape.
 */
export function exactOnDevice(predicted: tf.Tensor, targets: Int32Array, batch: number) {
  const labels = tf.tidy(() => {
    const t = tf.tensor1d(targets, 'int32');
    const right = tf.logicalOr(tf.equal(predicted, t), tf.equal(t, IGNORE));
    return tf.cast(tf.all(tf.reshape(right, [batch, -1]), 1), 'float32');
  });
  const off = stopGradient(labels);
  labels.dispose();
  return off;
}

/** Correctness of predictions already read back (`pred` [N] as numbers). */
export function score(
  pred: ArrayLike<number>,
  targets: Int32Array,
  batch: number,
  inputs?: Int32Array,
): Correctness {
  const perRow = targets.length / batch;
  const exact = new Float32Array(batch);
  let correct = 0;
  let counted = 0;
  let openCorrect = 0;
  let openCounted = 0;
  const open = inputs && inputs.length === targets.length ? inputs : undefined;
  for (let b = 0; b < batch; b++) {
    let all = 1;
    for (let i = b * perRow; i < (b + 1) * perRow; i++) {
      const t = targets[i]!;
      if (t === IGNORE) continue;
      counted++;
      const right = pred[i] === t;
      if (right) correct++;
      else all = 0;
      if (open && open[i] !== t) {
        openCounted++;
        if (right) openCorrect++;
      }
    }
    exact[b] = all;
  }
  return { correct, counted, exact, openCorrect, openCounted };
}
