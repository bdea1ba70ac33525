import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/types.ts';
import { runProgram } from '../runtime/executor.ts';
import type { BatchFeeds, TrainableProgram } from '../runtime/trainable-program.ts';
import type { WeightStore } from '../runtime/weights.ts';
import { bceWithLogits, correctness, maskedCrossEntropy, type LossKind } from './loss.ts';

export interface ForwardResult {
  loss: tf.Scalar;
  ceLoss: number;
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
 * One forward pass and its loss: masked cross-entropy on the logits, plus haltWeight ·
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
  const result: ForwardResult = {
    loss: ce,
    ceLoss: ce.dataSync()[0]!,
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
    if (opts.haltWeight > 0) result.loss = tf.add(ce, tf.mul(bce, opts.haltWeight));
    else bce.dispose();
  }
  return result;
}

export function disposeForward(r: ForwardResult): void {
  tf.dispose([r.logits, ...(r.halt ? [r.halt] : []), ...r.next]);
}
