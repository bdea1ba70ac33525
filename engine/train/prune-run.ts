import * as tf from '@tensorflow/tfjs-core';
import type { EvalReport, TrainEvent } from '../contract/events.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { prepareProgram, type TrainableProgram } from '../runtime/trainable-program.ts';
import { createWeights, encodeWeightsAsync, type WeightStore } from '../runtime/weights.ts';
import { encodeTensorsAsync, writeCheckpoint, type PruneRecord } from './checkpoint.ts';
import { evaluate } from './evaluate.ts';
import type { loadTrainedModel } from './load-model.ts';
import {
  maskSparsity,
  maskTensors,
  prunableWeights,
  pruneByMagnitude,
  type Masks,
} from './prune.ts';
import { pruneStructured, type FlatWeight, type StructuredTarget } from './prune-structured.ts';
import { firstPosition } from './slots.ts';
import { train, type TrainResult } from './trainer.ts';

/** `trm prune`: a trained run pruned into a new run folder, or a sweep of sparsities. */

export type SourceModel = Awaited<ReturnType<typeof loadTrainedModel>>;

export interface PruneSettings {
  sparsity: number;
  structured?: StructuredTarget | undefined;
  global: boolean;
}

export interface PrunedModel {
  doc: GraphDocument;
  trainable: TrainableProgram;
  weights: WeightStore;
  /** Magnitude pruning's masks (none for structured pruning, which removes the units). */
  masks?: Masks;
  record: PruneRecord;
  /** Parameters that are not zero. */
  nonzero: number;
}

/**
 * Prune a copy of the model's weights; the source model is left as it was. The weights are read
 * asynchronously, the only kind of read WebGPU offers outside a browser.
 */
export async function pruneModel(model: SourceModel, s: PruneSettings): Promise<PrunedModel> {
  const record = {
    from: model.dir,
    step: model.step,
    sparsity: s.sparsity,
    ...(s.structured ? { structured: s.structured } : {}),
    global: s.global,
    paramsBefore: model.trainable.params,
  };
  if (!s.structured) {
    const weights = createWeights(model.trainable.program, model.config.seed);
    for (const [name, p] of weights.params) p.assign(model.weights.params.get(name)!);
    const names = prunableWeights(model.trainable.program);
    const masks = await pruneByMagnitude(weights, names, s.sparsity, s.global);
    const reached = maskSparsity(masks).total;
    const zeros = [...masks.values()].reduce((n, m) => n + m.filter((v) => v === 0).length, 0);
    return {
      doc: model.document,
      trainable: model.trainable,
      weights,
      masks,
      record: { ...record, reached, paramsAfter: model.trainable.params },
      nonzero: model.trainable.params - zeros,
    };
  }
  if (s.global) {
    throw new Error(
      'Structured pruning removes the same share of heads or channels from every layer (the layers of a component share one definition); drop --global, or prune single weights without --structured.',
    );
  }
  const params = [...model.weights.params];
  const values = (await Promise.all(params.map(([, p]) => p.data()))) as Float32Array[];
  const flat = new Map<string, FlatWeight>(
    params.map(([name, p], i) => [name, { shape: [...p.shape], values: values[i]!.slice() }]),
  );
  const result = pruneStructured(model.document, flat, s.structured, s.sparsity);
  const trainable = prepareProgram(result.doc, model.source, model.config.supervisionSteps);
  const weights = createWeights(trainable.program, model.config.seed);
  for (const [name, p] of weights.params) {
    const w = result.weights.get(name)!;
    const t = tf.tensor(w.values, w.shape);
    p.assign(t);
    t.dispose();
  }
  const before = result.nodes.reduce((n, x) => n + x.before, 0);
  const after = result.nodes.reduce((n, x) => n + x.after, 0);
  return {
    doc: result.doc,
    trainable,
    weights,
    record: { ...record, reached: 1 - after / Math.max(1, before), paramsAfter: trainable.params },
    nonzero: trainable.params,
  };
}

/**
 * Held-out metrics of a (pruned) model, as the run's own evaluations are taken (asynchronously:
 * evaluation reads back once per depth, the only kind of read WebGPU offers outside a browser).
 */
export function evaluatePruned(
  model: SourceModel,
  pruned: Pick<PrunedModel, 'trainable' | 'weights'>,
  examples: number,
): Promise<EvalReport> {
  return evaluate(pruned.trainable, pruned.weights, model.source, {
    examples,
    batch: model.config.batch,
    loss: model.config.loss,
    step: model.step,
    ema: false,
  });
}

/**
 * Write the pruned model as a new run at step 0 — its masks in the `mask` group, fresh optimizer
 * moments — and fine-tune it `finetuneSteps` steps by resuming that run (masked entries stay
 * zero). The fine-tune keeps the source run's settings with a warmup of at most a tenth of it.
 */
export async function writePrunedRun(
  out: string,
  model: SourceModel,
  pruned: PrunedModel,
  report: EvalReport,
  finetuneSteps: number,
  onEvent?: (e: TrainEvent) => void,
): Promise<{ checkpoint: string; result?: TrainResult }> {
  // Fine-tuning learns from the labels: a teacher the source run had is not carried over.
  const config = {
    ...model.config,
    distill: undefined,
    steps: Math.max(1, finetuneSteps),
    warmup: Math.min(model.config.warmup, Math.floor(finetuneSteps / 10)),
  };
  const moments: Record<string, tf.Tensor> = {};
  for (const [name, p] of pruned.weights.params) {
    moments[`m/${name}`] = tf.zerosLike(p);
    moments[`v/${name}`] = tf.zerosLike(p);
  }
  const masks = pruned.masks ? maskTensors(pruned.masks, pruned.weights) : undefined;
  let checkpoint: string;
  try {
    checkpoint = await writeCheckpoint(
      out,
      {
        format: 'trm-checkpoint',
        version: 1,
        step: 0,
        createdAt: new Date().toISOString(),
        data: firstPosition(config.batch),
        rng: { seed: config.seed },
        config,
        document: pruned.doc,
        dataSpec: model.dataSpec,
        pruned: pruned.record,
        metrics: { steps: [], evals: [{ ...report, step: 0 }] },
      },
      {
        weights: await encodeWeightsAsync(pruned.weights),
        optimizer: await encodeTensorsAsync(moments),
        ...(masks ? { mask: await encodeTensorsAsync(masks) } : {}),
      },
      config.keepCheckpoints,
    );
  } finally {
    tf.dispose([...Object.values(moments), ...Object.values(masks ?? {})]);
  }
  if (finetuneSteps <= 0) return { checkpoint };
  const result = await train({ resume: out, outDir: out, ...(onEvent ? { onEvent } : {}) });
  result.model.dispose();
  if (result.status === 'failed') throw new Error(result.error);
  return { checkpoint, result };
}

export interface SweepPoint {
  sparsity: number;
  /** Zeroed share of the prunable weights, or removed share of heads/channels. */
  reached: number;
  params: number;
  nonzero: number;
  loss: number;
  accuracy: number;
  perplexity?: number;
  exactMatch?: number;
}

/** The task metric at each sparsity (no fine-tuning), for a metric-vs-sparsity chart. */
export async function sweep(
  model: SourceModel,
  sparsities: readonly number[],
  s: Omit<PruneSettings, 'sparsity'>,
  examples: number,
  onPoint?: (p: SweepPoint) => void,
): Promise<SweepPoint[]> {
  const points: SweepPoint[] = [];
  // One sparsity at a time: each holds a pruned copy of the weights until it is scored.
  for (const sparsity of sparsities) {
    const pruned = await pruneModel(model, { ...s, sparsity });
    try {
      const r = await evaluatePruned(model, pruned, examples);
      const point: SweepPoint = {
        sparsity,
        reached: pruned.record.reached,
        params: pruned.record.paramsAfter,
        nonzero: pruned.nonzero,
        loss: r.loss,
        accuracy: r.accuracy,
        ...(r.perplexity !== undefined ? { perplexity: r.perplexity } : {}),
        ...(r.exactMatch !== undefined ? { exactMatch: r.exactMatch } : {}),
      };
      onPoint?.(point);
      points.push(point);
    } finally {
      pruned.weights.dispose();
    }
  }
  return points;
}
