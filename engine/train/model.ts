import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/types.ts';
import { runProgram } from '../runtime/executor.ts';
import type { BatchFeeds, TrainableProgram } from '../runtime/trainable-program.ts';
import type { WeightStore } from '../runtime/weights.ts';
import { distillationTerm } from './distill.ts';
import {
  bceWithLogits,
  exactOnDevice,
  maskedCrossEntropy,
  predictions,
  score,
  type LossKind,
} from './loss.ts';
import { readTogether } from './read-back.ts';

/** A teacher's logits for this batch and how much they count (see distill.ts). */
export interface DistillTarget {
  logits: tf.Tensor;
  alpha: number;
  temperature: number;
}

export interface ForwardResult {
  loss: tf.Scalar;
  ceLoss: number;
  /** The teacher's term T²·KL, when distilling. */
  distillLoss?: number;
  haltLoss?: number;
  /** Kept tensors the caller disposes: logits, halting logits, next state. */
  logits: tf.Tensor;
  halt?: tf.Tensor;
  /** The halting logits, read back (`forward` only). */
  haltValues?: Float32Array;
  next: tf.Tensor[];
  correct: number;
  counted: number;
  exact: Float32Array;
  openCorrect: number;
  openCounted: number;
}

export interface ForwardOptions {
  /** A training run: BatchNorm uses the batch's statistics and updates its running ones. */
  training: boolean;
  /** Dropout in a training run. @default true */
  dropout?: boolean;
  seed: number;
  loss: LossKind;
  haltWeight: number;
  distill?: DistillTarget;
}

/** A forward pass as tensors only: what `forward` reads back, left on the device. */
export interface ForwardTensors {
  loss: tf.Scalar;
  /** Kept: the cross-entropy (the loss itself without a halting head or a teacher). */
  ce: tf.Scalar;
  /** Kept: the teacher's term T²·KL, when distilling. */
  distill?: tf.Scalar;
  /** Kept: the halting BCE, when the graph has a halting head. */
  bce?: tf.Scalar;
  /** Kept: argmax ids [N], one per target. */
  predicted: tf.Tensor1D;
  logits: tf.Tensor;
  halt?: tf.Tensor;
  next: tf.Tensor[];
}

/**
 * One forward pass and its loss: masked cross-entropy on the logits — with a teacher, α · CE +
 * (1 − α) · T²·KL(teacher ‖ student) —, plus haltWeight ·
 * BCE(halt, [every scored position right]) when the graph has a halting head. The halting
 * target is computed from the predictions on the device and kept off the gradient tape, so a
 * step reads nothing back before its gradients. Safe inside tf.variableGrads: the tensors the
 * caller needs are kept; `finishForward` disposes ce, distill, bce and predicted.
 */
export function forwardTensors(
  tp: TrainableProgram,
  weights: WeightStore,
  inputs: BatchFeeds,
  state: readonly tf.Tensor[],
  batch: Batch,
  opts: ForwardOptions,
): ForwardTensors {
  const feeds: Record<string, tf.Tensor> = { ...inputs };
  tp.state.forEach((s, i) => (feeds[s.input] = state[i]!));
  const fetch = [
    tp.logits.name,
    ...(tp.halt ? [tp.halt.name] : []),
    ...tp.state.map((s) => s.output),
  ];
  const out = runProgram(tp.program, weights, feeds, fetch, {
    training: opts.training,
    ...(opts.dropout === undefined ? {} : { dropout: opts.dropout }),
    seed: opts.seed,
  });
  const logits = tf.keep(out[tp.logits.name]!);
  const ce = tf.keep(maskedCrossEntropy(logits, batch.targets, opts.loss));
  const predicted = tf.keep(predictions(logits, batch.targets.length));
  const result: ForwardTensors = {
    loss: ce,
    ce,
    predicted,
    logits,
    next: tp.state.map((s) => tf.keep(out[s.output]!)),
  };
  if (opts.distill) {
    const { alpha, temperature } = opts.distill;
    const kd = tf.keep(distillationTerm(logits, opts.distill.logits, batch.targets, temperature));
    result.distill = kd;
    result.loss = tf.tidy(() => tf.add(tf.mul(ce, alpha), tf.mul(kd, 1 - alpha)));
  }
  if (tp.halt) {
    const halt = tf.keep(out[tp.halt.name]!);
    const labels = exactOnDevice(predicted, batch.targets, batch.batch);
    const bce = tf.keep(bceWithLogits(halt, labels));
    labels.dispose();
    result.halt = halt;
    result.bce = bce;
    // Outside a gradient tape (evaluation) nothing would free the intermediates of a sum.
    if (opts.haltWeight > 0) result.loss = tf.add(result.loss, tf.mul(bce, opts.haltWeight));
  }
  return result;
}

/** The scalars and predictions of `t`, read back in one transfer, as a ForwardResult. */
export function finishForward(
  t: ForwardTensors,
  batch: Batch,
  values: { ce: number; distill?: number; bce?: number; predicted: ArrayLike<number> },
): ForwardResult {
  const c = score(values.predicted, batch.targets, batch.batch, batch.inputs);
  tf.dispose([
    t.predicted,
    ...(t.ce !== t.loss ? [t.ce] : []),
    ...(t.distill ? [t.distill] : []),
    ...(t.bce ? [t.bce] : []),
  ]);
  return {
    loss: t.loss,
    ceLoss: values.ce,
    ...(values.distill !== undefined ? { distillLoss: values.distill } : {}),
    logits: t.logits,
    next: t.next,
    ...(t.halt ? { halt: t.halt } : {}),
    ...(values.bce !== undefined ? { haltLoss: values.bce } : {}),
    ...c,
  };
}

/**
 * `forwardTensors` read back in one asynchronous transfer (insight and tests; a device backend
 * in Node has no synchronous read): its scalars and predictions, and the halting logits
 * (`haltValues`) when the graph has a halting head.
 */
export async function forward(
  tp: TrainableProgram,
  weights: WeightStore,
  inputs: BatchFeeds,
  state: readonly tf.Tensor[],
  batch: Batch,
  opts: ForwardOptions,
): Promise<ForwardResult> {
  const t = forwardTensors(tp, weights, inputs, state, batch, opts);
  const [ce, predicted, ...rest] = await readTogether([
    t.ce,
    t.predicted,
    ...(t.distill ? [t.distill] : []),
    ...(t.bce ? [t.bce] : []),
    ...(t.halt ? [t.halt] : []),
  ]);
  const r = finishForward(t, batch, {
    ce: ce![0]!,
    predicted: predicted!,
    ...(t.distill ? { distill: rest.shift()![0]! } : {}),
    ...(t.bce ? { bce: rest.shift()![0]! } : {}),
  });
  return t.halt ? { ...r, haltValues: rest.shift()! } : r;
}

/**
 * A pass's loss, its other kept tensors freed (`next` too unless `keepNext`): a gradient step
 * that reads nothing back, as the memory bench and tests take one inside tf.variableGrads.
 */
export function lossOnly(t: ForwardTensors, keepNext = false): tf.Scalar {
  tf.dispose([
    t.predicted,
    t.logits,
    ...(keepNext ? [] : t.next),
    ...(t.halt ? [t.halt] : []),
    ...(t.ce !== t.loss ? [t.ce] : []),
    ...(t.distill ? [t.distill] : []),
    ...(t.bce ? [t.bce] : []),
  ]);
  return t.loss;
}

export function disposeForward(r: ForwardResult): void {
  tf.dispose([r.logits, ...(r.halt ? [r.halt] : []), ...r.next]);
}
