import * as tf from '@tensorflow/tfjs-core';
import { sliceBatch, type DataSource } from '../data/types.ts';
import type { WeightStore } from '../runtime/weights.ts';
import type { DepthMetrics, EvalReport } from '../contract/events.ts';
import type { LossKind } from './loss.ts';
import { disposeForward, finishForward, forwardTensors } from './model.ts';
import { readTogether } from './read-back.ts';
import { batchFeeds, initialState, type TrainableProgram } from '../runtime/trainable-program.ts';

interface Tally {
  loss: number;
  correct: number;
  counted: number;
  exact: number;
  halted: number;
  openCorrect: number;
  openCounted: number;
}

const emptyTally = (): Tally => ({
  loss: 0,
  correct: 0,
  counted: 0,
  exact: 0,
  halted: 0,
  openCorrect: 0,
  openCounted: 0,
});

/**
 * Held-out metrics with dropout off. A deep-supervision model runs all N_sup steps without
 * halting and is scored after each one, which gives accuracy as a function of recursion
 * depth; its headline numbers are those of the last step.
 */
export async function evaluate(
  tp: TrainableProgram,
  weights: WeightStore,
  source: DataSource,
  opts: { examples: number; batch: number; loss: LossKind; step: number; ema: boolean },
): Promise<EvalReport> {
  const all = source.validation(opts.examples);
  const depth = tp.supervisionSteps;
  const tallies = Array.from({ length: depth }, emptyTally);
  for (let from = 0; from < all.batch; from += opts.batch) {
    const chunk = sliceBatch(all, from, Math.min(all.batch, from + opts.batch));
    const feeds = batchFeeds(tp, chunk);
    let state = initialState(tp, weights, feeds);
    for (let s = 0; s < depth; s++) {
      const ft = forwardTensors(tp, weights, feeds, state, chunk, {
        training: false,
        seed: 0,
        loss: opts.loss,
        haltWeight: 0,
      });
      // One asynchronous read per depth (WebGPU outside a browser has no synchronous one).
      const [ce, predicted, ...rest] = await readTogether([
        ft.ce,
        ft.predicted,
        ...(ft.bce ? [ft.bce, ft.halt!] : []),
      ]);
      const r = finishForward(ft, chunk, {
        ce: ce![0]!,
        predicted: predicted!,
        ...(ft.bce ? { bce: rest[0]![0]! } : {}),
      });
      const q = rest[1];
      const t = tallies[s]!;
      // The loss is a per-position mean; weight it by scored positions to pool chunks.
      t.loss += r.ceLoss * r.counted;
      t.correct += r.correct;
      t.counted += r.counted;
      t.openCorrect += r.openCorrect;
      t.openCounted += r.openCounted;
      t.exact += r.exact.reduce((a, b) => a + b, 0);
      if (q) t.halted += q.filter((v) => v > 0).length;
      tf.dispose([...state, r.loss]);
      state = r.next;
      r.next = [];
      disposeForward(r);
    }
    tf.dispose([...state, ...Object.values(feeds)]);
  }
  const byDepth: DepthMetrics[] = tallies.map((t, i) => ({
    depth: i + 1,
    loss: t.loss / Math.max(1, t.counted),
    accuracy: t.correct / Math.max(1, t.counted),
    ...(source.openCells ? { openAccuracy: t.openCorrect / Math.max(1, t.openCounted) } : {}),
    exactMatch: t.exact / Math.max(1, all.batch),
    ...(tp.halt ? { haltRate: t.halted / Math.max(1, all.batch) } : {}),
  }));
  const last = byDepth[byDepth.length - 1]!;
  return {
    step: opts.step,
    examples: all.batch,
    loss: last.loss,
    accuracy: last.accuracy,
    ...(last.openAccuracy !== undefined ? { openAccuracy: last.openAccuracy } : {}),
    ...(source.exactMatch ? { exactMatch: last.exactMatch } : {}),
    ...(source.kind === 'lm' ? { perplexity: Math.exp(last.loss) } : {}),
    ...(tp.state.length > 0 ? { byDepth } : {}),
    ema: opts.ema,
  };
}
