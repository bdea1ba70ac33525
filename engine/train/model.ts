import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/types.ts';
import { runProgram } from '../runtime/executor.ts';
import type { BatchFeeds, TrainableProgram } from '../runtime/trainable-program.ts';
import type { WeightStore } from '../runtime/weights.ts';
import { distillationTerm } from './distill.ts';
import { bceWithLogits, correctness, maskedCrossEntropy, type LossKind } from './loss.ts';

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
  next: tf.Tensor[];
  correct: number;
  counted: number;
  exact: Float32Array;
  openCorrect: number;
  openCounted: number;
}

/**
 * One forward pass and its loss: masked cross-entropy on the logits — with a teacher, α · CE +
 * (1 − α) · T²·KL(teacher ‖ student) —, plus haltWeight ·
 * BCE(halt, [every scored position right]) when the graph has a halting head. The halting
 * target is read back from the predictions, so it is a constant to the gradient tape.
 * Safe inside tf.variableGrads: the tensors the caller needs are kept.
 */
export function forward(
  tp: TrainableProgram,
  weights: WeightStore,
  inputs: BatchFeeds,
  state: readonly tf.Tensor[],
  batch: Batch,
  opts: {
    training: boolean;
    /** Dropout in a training run. @default true */
    dropout?: boolean;
    seed: number;
    loss: LossKind;
    haltWeight: number;
    distill?: DistillTarget;
  },
): ForwardResult {
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
  const ce = maskedCrossEntropy(logits, batch.targets, opts.loss);
  const c = correctness(logits, batch.targets, batch.batch, batch.inputs);
  const ceLoss = ce.dataSync()[0]!;
  let loss: tf.Scalar = ce;
  let distillLoss: number | undefined;
  if (opts.distill) {
    const { alpha, temperature } = opts.distill;
    const kd = distillationTerm(logits, opts.distill.logits, batch.targets, temperature);
    distillLoss = kd.dataSync()[0]!;
    loss = tf.add(tf.mul(ce, alpha), tf.mul(kd, 1 - alpha));
  }
  const result: ForwardResult = {
    loss,
    ceLoss,
    ...(distillLoss !== undefined ? { distillLoss } : {}),
    logits,
    next: tp.state.map((s) => tf.keep(out[s.output]!)),
    ...c,
  };
  if (tp.halt) {
    const halt = tf.keep(out[tp.halt.name]!);
    const bce = bceWithLogits(halt, c.exact);
    result.halt = halt;
    result.haltLoss = bce.dataSync()[0]!;
    // Outside a gradient tape (evaluation) nothing would free the intermediates of a sum.
    if (opts.haltWeight > 0) result.loss = tf.add(loss, tf.mul(bce, opts.haltWeight));
    else bce.dispose();
  }
  return result;
}

export function disposeForward(r: ForwardResult): void {
  tf.dispose([r.logits, ...(r.halt ? [r.halt] : []), ...r.next]);
}
