/**
 * Training parity between a backend and the CPU, shared by the Chromium page (page.ts, bundled
 * by page-bundle.ts and run on SwiftShader's WebGPU by chromium-parity.test.ts) and the Node
 * smoke test (Dawn, when it finds an adapter): the project's own trainer (engine/train) on a
 * recorded data stream from the same initial weights, a few steps, losses and gradient norms
 * per step, and the transfers from the device per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch, DataSource } from '../../engine/data/types.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import type { TrainConfigInput } from '../../engine/train/config.ts';
import { train } from '../../engine/train/trainer.ts';
import type { WeightStore } from '../../engine/runtime/weights.ts';

/** A data source's stream as JSON: every batch the CPU run asked for, replayed in the page. */
export interface RecordedSource {
  name: string;
  kind: DataSource['kind'];
  vocabSize: number;
  length: number;
  puzzleIds?: number;
  exactMatch: boolean;
  describe: ReturnType<DataSource['describe']>;
  batches: Record<string, { inputs: number[]; targets: number[]; puzzle?: number[] }>;
}

const toJson = (b: Batch) => ({
  inputs: [...b.inputs],
  targets: [...b.targets],
  ...(b.puzzle ? { puzzle: [...b.puzzle] } : {}),
});

/** `src` with every batch it hands out written down in `recorded`. */
export function recordSource(src: DataSource): { source: DataSource; recorded: RecordedSource } {
  const recorded: RecordedSource = {
    name: src.name,
    kind: src.kind,
    vocabSize: src.vocabSize,
    length: src.length,
    ...(src.puzzleIds !== undefined ? { puzzleIds: src.puzzleIds } : {}),
    exactMatch: src.exactMatch,
    describe: src.describe(),
    batches: {},
  };
  const source: DataSource = {
    ...src,
    trainBatch: (index, size) => {
      const b = src.trainBatch(index, size);
      recorded.batches[`t${index}:${size}`] = toJson(b);
      return b;
    },
    validation: (count) => {
      const b = src.validation(count);
      recorded.batches[`v${count}`] = toJson(b);
      return b;
    },
    decode: (ids) => src.decode(ids),
    describe: () => src.describe(),
  };
  return { source, recorded };
}

export function replaySource(r: RecordedSource): DataSource {
  const get = (key: string): Batch => {
    const b = r.batches[key];
    if (!b) throw new Error(`The recorded stream has no batch ${key}.`);
    return {
      inputs: Int32Array.from(b.inputs),
      targets: Int32Array.from(b.targets),
      batch: b.inputs.length / r.length,
      length: r.length,
      ...(b.puzzle ? { puzzle: Int32Array.from(b.puzzle) } : {}),
    };
  };
  return {
    name: r.name,
    kind: r.kind,
    vocabSize: r.vocabSize,
    length: r.length,
    ...(r.puzzleIds !== undefined ? { puzzleIds: r.puzzleIds } : {}),
    exactMatch: r.exactMatch,
    trainBatch: (index, size) => get(`t${index}:${size}`),
    validation: (count) => get(`v${count}`),
    decode: (ids) => Array.from(ids).join(' '),
    describe: () => r.describe,
  };
}

export interface ParityRun {
  backend: string;
  /** The backend the trainer reported it started on. */
  active: string;
  losses: number[];
  gradNorms: number[];
  /** The teacher's term T²·KL per step, when the run distils (config.distill). */
  distillLosses: number[];
  /** Transfers from the device (reads of data not already on the CPU), per step. */
  downloads: number[];
  stepMs: number[];
  /** FNV-1a over every weight's float32 bytes before the first step (names in order). */
  initialWeights: string;
}

export const PARITY_CONFIG = {
  steps: 5,
  batch: 4,
  lr: 3e-3,
  warmup: 0,
  evalEvery: 0,
  evalExamples: 4,
  ema: 0,
  seed: 1,
} as const;

type Reads = { read: (id: object) => Promise<unknown>; readSync: (id: object) => unknown };

/**
 * Count the active backend's reads that move data off the device: on WebGPU a tensor whose
 * values still sit on the CPU (never uploaded) is read without a transfer.
 */
function countDownloads(): { count: () => number; restore: () => void } {
  const backend = tf.backend() as unknown as Reads & {
    tensorMap?: { get(id: object): { values?: unknown } | undefined };
  };
  const { read, readSync } = backend;
  let n = 0;
  const onDevice = (id: object) => {
    const map = backend.tensorMap;
    return !map || map.get(id)?.values == null;
  };
  backend.read = (id) => {
    if (onDevice(id)) n++;
    return read.call(backend, id);
  };
  backend.readSync = (id) => {
    if (onDevice(id)) n++;
    return readSync.call(backend, id);
  };
  return {
    count: () => n,
    restore: () => Object.assign(backend, { read, readSync }),
  };
}

/**
 * The weights as they start, hashed: both sides materialise them from the seed in JS
 * (engine/runtime/weights.ts), so the hashes are equal unless the initialisation differs.
 * Read synchronously before the first step, while their values have not left the CPU.
 */
function fingerprint(weights: WeightStore): string {
  let h = 0x811c9dc5;
  for (const name of [...weights.params.keys()].sort()) {
    for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
    const v = weights.params.get(name)!.dataSync() as Float32Array;
    for (const b of new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) {
      h = Math.imul(h ^ b, 0x01000193);
    }
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Train `doc` on `source` for PARITY_CONFIG.steps steps on `backend`; `config` adds to
 * PARITY_CONFIG (a teacher, say) and `outDir` keeps the run (to teach another).
 */
export async function trainFew(
  doc: GraphDocument,
  source: DataSource,
  backend: string,
  extra: { config?: TrainConfigInput; outDir?: string } = {},
): Promise<ParityRun> {
  const run: ParityRun = {
    backend,
    active: '',
    losses: [],
    gradNorms: [],
    distillLosses: [],
    downloads: [],
    stepMs: [],
    initialWeights: '',
  };
  let counter: ReturnType<typeof countDownloads> | undefined;
  let last = 0;
  let at = 0;
  const result = await train({
    document: doc,
    source,
    config: { ...PARITY_CONFIG, ...extra.config, backend: backend as 'cpu' },
    ...(extra.outDir ? { outDir: extra.outDir } : {}),
    beforeStep: (step, weights) => {
      if (step !== 1) return;
      // Not a transfer of the step: left out of its count.
      const before = counter!.count();
      run.initialWeights = fingerprint(weights);
      last += counter!.count() - before;
    },
    onEvent: (e) => {
      if (e.type === 'started') {
        run.active = e.backend;
        counter = countDownloads();
        at = performance.now();
      }
      if (e.type === 'step') {
        run.losses.push(e.metrics.loss);
        run.gradNorms.push(e.metrics.gradNorm ?? NaN);
        if (e.metrics.distillLoss !== undefined) run.distillLosses.push(e.metrics.distillLoss);
        const n = counter!.count();
        run.downloads.push(n - last);
        last = n;
        run.stepMs.push(performance.now() - at);
        at = performance.now();
      }
    },
  });
  counter?.restore();
  result.model.dispose();
  if (result.status !== 'completed') throw new Error(result.error ?? result.status);
  return run;
}

/**
 * float32 tolerances, relative to the CPU's value, by step (the last entry holds for every later
 * step). Both runs start from the same weights (hashed) on the same batches, so all that differs
 * is float32 arithmetic: the order of each sum (a GPU reduces in a tree, the CPU in a loop) and
 * the last bits of exp/log/tanh.
 * - loss: one forward pass; a sum of n terms carries about √n·2⁻²⁴ relative error, ~1e-6 for
 *   the widest here, so 1e-5.
 * - gradient norm: the backward pass adds as many sums again, some of them cancelling (softmax
 *   and normalisation gradients), whose small results keep a larger relative error: 1e-4.
 * - from step 3, ten times those: the weights now differ by the first updates' rounding, which
 *   AdamW passes on nearly whole (its update is a ratio of the gradient's own moments), and the
 *   recursion and attention grow it step by step (gradient norms: ~2e-7 at step 1 to ~5e-6 at
 *   step 3 on SwiftShader, the worst template).
 * A wrong kernel moves the loss by far more: a 1% change of the learning rate alone leaves
 * these bounds by step 3.
 */
export const TOLERANCE = { loss: [1e-5, 1e-5, 1e-4], gradNorm: [1e-4, 1e-4, 1e-3] } as const;

type Series = 'losses' | 'gradNorms' | 'distillLosses';

/**
 * The steps where `got` leaves the tolerance around `ref`, as sentences; empty when in. The
 * teacher's term is a loss (summed into it), so it gets the loss tolerances.
 */
export function compareRuns(ref: ParityRun, got: ParityRun): string[] {
  const out: string[] = [];
  if (!ref.initialWeights) out.push('the initial weights were not hashed before step 1');
  if (got.initialWeights !== ref.initialWeights) {
    out.push(
      `initial weights: ${got.backend} hashes to ${got.initialWeights}, cpu to ${ref.initialWeights}`,
    );
  }
  if (got.losses.length !== ref.losses.length) {
    out.push(`steps: ${got.backend} reported ${got.losses.length}, cpu ${ref.losses.length}`);
  }
  if (got.distillLosses.length !== ref.distillLosses.length) {
    out.push(
      `distillLosses: ${got.backend} reported ${got.distillLosses.length}, cpu ${ref.distillLosses.length}`,
    );
  }
  for (const key of ['losses', 'gradNorms', 'distillLosses'] as const) {
    const tol = key === 'gradNorms' ? TOLERANCE.gradNorm : TOLERANCE.loss;
    ref[key].forEach((r, i) => {
      const g = got[key][i]!;
      const rel = Math.abs(g - r) / Math.max(Math.abs(r), 1e-6);
      if (!(rel <= tol[Math.min(i, tol.length - 1)]!)) {
        out.push(
          `${key} at step ${i + 1}: ${got.backend} ${g} vs cpu ${r} (relative ${rel.toExponential(2)})`,
        );
      }
    });
  }
  return out;
}

/** The largest relative difference per step, for the report. */
export function relativeErrors(ref: ParityRun, got: ParityRun, key: Series) {
  return ref[key].map((r, i) => Math.abs(got[key][i]! - r) / Math.max(Math.abs(r), 1e-6));
}
