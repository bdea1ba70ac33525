import * as tf from '@tensorflow/tfjs-core';
import { sliceBatch, type Batch, type DataSource } from '../data/types.ts';
import type { IrProgram } from '../graph/ir.ts';
import {
  recursionDepth,
  withRecursionSteps,
  type RecursionDepth,
  type RecursionSite,
} from '../graph/recursion-depth.ts';
import type { GraphDocument } from '../graph/schema.ts';
import type { WeightStore } from '../runtime/weights.ts';
import type { TrainConfig } from '../train/config.ts';
import type { LoadOptions } from '../train/load-model.ts';
import { disposeForward, forward } from '../train/model.ts';
import {
  batchFeeds,
  type BatchFeeds,
  initialState,
  prepareProgram,
  type TrainableProgram,
} from '../runtime/trainable-program.ts';
import type { DepthPoint, DepthSweep } from '../contract/insight-report.ts';
import { withTrips } from '../graph/ir/unroll.ts';

/**
 * Recursion insight: how a trained recursive model's held-out metrics change with depth.
 * A deep-supervision model (TRM) runs its supervision steps one after another on held-out
 * data and is scored after each; a plain recursive model (a recursive LM) is recompiled
 * with its recursion node(s) set to each depth and run with the same weights.
 */

/** Deepest sweep offered: beyond the trained depth, but bounded (a host must not hang). */
export const MAX_INSIGHT_DEPTH = 64;
export const MAX_INSIGHT_EXAMPLES = 1024;

export interface InsightModel {
  doc: GraphDocument;
  depth: Exclude<RecursionDepth, { kind: 'none' }>;
  trainable: TrainableProgram;
  weights: WeightStore;
  source: DataSource;
  config: TrainConfig;
  step: number;
  ema: boolean;
  dispose(): void;
}

export class InsightCancelled extends Error {
  constructor() {
    super('The recursion insight was cancelled.');
  }
}

/** What the insight needs of a trained model (`loadTrainedModel`'s result has it all). */
export type TrainedForInsight = Omit<InsightModel, 'depth' | 'doc'> & { document: GraphDocument };

export function insightModel(trained: TrainedForInsight): InsightModel {
  const depth = recursionDepth(trained.document);
  if (depth.kind === 'none') {
    throw new Error(
      `"${trained.document.name}" does not recurse (it has no recursion node), so there is no depth to vary. Recursion insight needs a recursive model such as a TRM or a recursive LM.`,
    );
  }
  const { document, ...rest } = trained;
  // A run may override N_sup in its config; the trained depth is what it ran.
  const trainedDepth =
    depth.kind === 'supervision' ? trained.trainable.supervisionSteps : depth.trainedDepth;
  return { ...rest, doc: document, depth: { ...depth, trainedDepth } };
}

/** A trainer checkpoint (run folder or step folder) opened for insight, EMA weights if kept. */
export async function openInsight(
  path: string,
  opts: Pick<LoadOptions, 'confineData'> = {},
): Promise<InsightModel> {
  const { loadTrainedModel } = await import('../train/load-model.ts');
  const trained = await loadTrainedModel(path, opts);
  try {
    return insightModel(trained);
  } catch (e) {
    trained.dispose();
    throw e;
  }
}

/**
 * The trained weights seen by a program compiled at another depth: the same variables by
 * name (shared recursion weights do not depend on the step count). Disposing the view
 * frees nothing; the model owns the tensors.
 */
function weightsView(program: IrProgram, trained: WeightStore, depth: number): WeightStore {
  const params = new Map<string, tf.Variable>();
  for (const name of program.params.keys()) {
    const v = trained.params.get(name);
    if (!v) {
      throw new Error(
        `At depth ${depth} the model needs a weight "${name}" it was never trained with (its recursion has one set of weights per step). Ask for depths up to the trained one.`,
      );
    }
    params.set(name, v);
  }
  const buffers = new Map<string, tf.Tensor>();
  for (const name of program.buffers.keys()) {
    const b = trained.buffers.get(name);
    if (!b) throw new Error(`At depth ${depth} the model needs a buffer "${name}" it lacks.`);
    buffers.set(name, b);
  }
  return { params, buffers, dispose: () => undefined };
}

/** The model with its recursion node(s) run `depth` times (plain recursion only). */
export function atDepth(
  m: InsightModel,
  depth: number,
): { trainable: TrainableProgram; weights: WeightStore } {
  if (m.depth.kind !== 'recursion' || depth === m.depth.trainedDepth)
    return { trainable: m.trainable, weights: m.weights };
  const sites: RecursionSite[] = m.depth.sites;
  if (!sites.some((s) => s.perStepWeights)) {
    // Shared weights: the same program with its Loops run `depth` times, no recompiling.
    const swept = withTrips(
      m.trainable.program,
      new Set(sites.map((s) => `${s.graph}/${s.node}`)),
      depth,
    );
    if (swept) return { trainable: { ...m.trainable, program: swept }, weights: m.weights };
  }
  const doc = withRecursionSteps(m.doc, sites, depth);
  let trainable: TrainableProgram;
  try {
    trainable = prepareProgram(doc, m.source, m.config.supervisionSteps, m.config.lora);
  } catch (e) {
    throw new Error(
      `The model does not compile with ${depth} recursion steps: ${(e as Error).message}`,
    );
  }
  return { trainable, weights: weightsView(trainable.program, m.weights, depth) };
}

/** Per-node trained limit: per-step weights exist only up to the trained depth. */
export function deepestDepth(m: InsightModel): number {
  if (m.depth.kind === 'recursion' && m.depth.sites.some((s) => s.perStepWeights))
    return m.depth.trainedDepth;
  return MAX_INSIGHT_DEPTH;
}

/**
 * How many held-out examples to read: text sources space their validation windows by the
 * count, so example i of a trace is example i of a default sweep only with the same count.
 */
export function heldOutCount(m: InsightModel, asked?: number): number {
  return Math.max(1, Math.min(asked ?? m.config.evalExamples, MAX_INSIGHT_EXAMPLES));
}

interface Tally {
  loss: number;
  correct: number;
  counted: number;
  exact: number;
  haltProbability: number;
  halted: number;
  stopped: number;
}

const emptyTally = (): Tally => ({
  loss: 0,
  correct: 0,
  counted: 0,
  exact: 0,
  haltProbability: 0,
  halted: 0,
  stopped: 0,
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Let the host's event loop run (a cancel request, other calls) between chunks of work. */
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

export interface SweepOptions {
  /** Held-out examples (default: the run's evalExamples; capped). */
  examples?: number;
  /** Deepest depth to run (default: the trained depth; capped). */
  maxDepth?: number;
  /** Examples per forward pass (default: the run's batch, at most 64). */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

type Model = { trainable: TrainableProgram; weights: WeightStore };

/** One forward pass at one depth, added to `t`; returns the next carried state (kept). */
async function scoreStep(
  m: InsightModel,
  at: Model,
  feeds: BatchFeeds,
  state: readonly tf.Tensor[],
  chunk: Batch,
  t: Tally,
  stopped: Uint8Array,
): Promise<tf.Tensor[]> {
  const r = await forward(at.trainable, at.weights, feeds, state, chunk, {
    training: false,
    seed: 0,
    loss: m.config.loss,
    haltWeight: 0,
  });
  // The loss is a per-position mean; weight it by scored positions to pool chunks.
  t.loss += r.ceLoss * r.counted;
  t.correct += r.correct;
  t.counted += r.counted;
  t.exact += r.exact.reduce((a, b) => a + b, 0);
  if (r.haltValues) {
    r.haltValues.forEach((q, b) => {
      t.haltProbability += sigmoid(q);
      if (q > 0) {
        t.halted++;
        stopped[b] = 1;
      }
    });
    t.stopped += stopped.reduce((a, b) => a + b, 0);
  }
  const next = r.next;
  r.next = [];
  r.loss.dispose();
  disposeForward(r);
  return next;
}

/** A deep-supervision model on one chunk: the carried state runs through every depth. */
async function scoreSupervised(
  m: InsightModel,
  chunk: Batch,
  tallies: Tally[],
  tick: () => Promise<void>,
): Promise<void> {
  const feeds = batchFeeds(m.trainable, chunk);
  let state: tf.Tensor[] = initialState(m.trainable, m.weights, feeds);
  const stopped = new Uint8Array(chunk.batch);
  try {
    for (const t of tallies) {
      const next = await scoreStep(m, m, feeds, state, chunk, t, stopped);
      tf.dispose(state);
      state = next;
      await tick();
    }
  } finally {
    tf.dispose([...state, ...Object.values(feeds)]);
  }
}

/** A plain recursive model at one depth on one chunk. */
async function scorePlain(
  m: InsightModel,
  at: Model,
  chunk: Batch,
  t: Tally,
  tick: () => Promise<void>,
): Promise<void> {
  const feeds = batchFeeds(at.trainable, chunk);
  try {
    tf.dispose(await scoreStep(m, at, feeds, [], chunk, t, new Uint8Array(chunk.batch)));
  } finally {
    tf.dispose(Object.values(feeds));
  }
  await tick();
}

function pointOf(t: Tally, depth: number, examples: number, m: InsightModel): DepthPoint {
  const loss = t.loss / Math.max(1, t.counted);
  const hasHalt = m.trainable.halt !== undefined && m.depth.kind === 'supervision';
  return {
    depth,
    loss,
    accuracy: t.correct / Math.max(1, t.counted),
    ...(m.source.exactMatch ? { exactMatch: t.exact / Math.max(1, examples) } : {}),
    ...(m.source.kind === 'lm' ? { perplexity: Math.exp(loss) } : {}),
    ...(hasHalt
      ? {
          haltProbability: t.haltProbability / Math.max(1, examples),
          haltRate: t.halted / Math.max(1, examples),
          stoppedBy: t.stopped / Math.max(1, examples),
        }
      : {}),
  };
}

/**
 * Held-out metrics after each depth 1..maxDepth, on the run's own held-out split (seeded
 * like training, never the training stream). Batched; every tensor is disposed, also when
 * cancelled through `signal`.
 */
export async function depthSweep(m: InsightModel, opts: SweepOptions = {}): Promise<DepthSweep> {
  const asked = Math.max(1, Math.min(opts.maxDepth ?? m.depth.trainedDepth, MAX_INSIGHT_DEPTH));
  const depths = Math.min(asked, deepestDepth(m));
  const count = heldOutCount(m, opts.examples);
  const all = m.source.validation(count);
  const batch = Math.max(1, Math.min(opts.batch ?? m.config.batch, 64));
  const tallies = Array.from({ length: depths }, emptyTally);
  const total = Math.ceil(all.batch / batch) * depths;
  let done = 0;
  const tick = async () => {
    opts.onProgress?.(++done, total);
    await yieldNow();
    if (opts.signal?.aborted) throw new InsightCancelled();
  };
  const chunks: Batch[] = [];
  for (let from = 0; from < all.batch; from += batch)
    chunks.push(sliceBatch(all, from, Math.min(all.batch, from + batch)));
  if (m.depth.kind === 'supervision') {
    for (const chunk of chunks) await scoreSupervised(m, chunk, tallies, tick);
  } else {
    // Depth-major: each depth is compiled once and scored on every chunk.
    for (let d = 1; d <= depths; d++) {
      const at = atDepth(m, d);
      for (const chunk of chunks) await scorePlain(m, at, chunk, tallies[d - 1]!, tick);
    }
  }
  const sites =
    m.depth.kind === 'supervision' ? [m.depth.site] : (m.depth.sites satisfies RecursionSite[]);
  return {
    kind: m.depth.kind,
    trainedDepth: m.depth.trainedDepth,
    nodes: sites.map((s) => `${s.graph}/${s.node}`),
    examples: all.batch,
    task: m.source.kind,
    data: m.source.name,
    checkpointStep: m.step,
    ema: m.ema,
    points: tallies.map((t, i) => pointOf(t, i + 1, all.batch, m)),
    note:
      depths < asked
        ? `Stopped at depth ${depths}: the recursion has one set of weights per step, trained up to ${depths}.`
        : null,
  };
}
