/**
 * The task metric of an export: held-out examples WITH targets, drawn from the data the model
 * is for, scored by the tfjs reference and by the exported model through one code path
 * (`ProgramRunner`), so their difference is the export's effect and nothing else.
 *
 * Which data: the spec a checkpoint was trained on when there is one, else the data the
 * document's `meta.task` maps to (the trainer's own mapping, engine/data/data-arg.ts). Which
 * examples: the source's validation split, built with the training seed. That split is what
 * the trainer held out (a text's validation blocks and a puzzle set's held-out examples both
 * depend on the seed), so scoring it with another seed would re-split the text and could
 * score sentences the model trained on.
 */
import {
  createDataSource,
  IGNORE,
  sliceBatch,
  type Batch,
  type DataSource,
  type DataSpec,
} from '../data/index.ts';
import type { IrProgram } from '../graph/ir.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { parseDataArg } from '../data/data-arg.ts';
import type { ProgramRunner } from './reference.ts';
import type { HostTensor } from './verify.ts';

/**
 * `perplexity`: exp(mean cross-entropy) over scored tokens (next tokens for a causal LM, masked
 * tokens for a masked LM); `accuracy`: share of scored positions whose argmax is the target;
 * `exact-match`: share of examples with every scored position right (puzzles, sequence tasks).
 */
export type TaskMetricName = 'perplexity' | 'accuracy' | 'exact-match';

/** One metric on the held-out set: the tfjs reference, the export, and onnx − reference. */
export interface TaskMetric {
  metric: TaskMetricName;
  reference: number;
  onnx: number;
  delta: number;
}

/** The held-out task check of an export; its top-level metric is the headline (first) one. */
export interface TaskCheck extends TaskMetric {
  /** The document's `meta.task`, or the data's kind (`causal-lm`, `masked-lm`, `cells`). */
  task: string;
  /** What was scored, in words: the source and the split. */
  data: string;
  examples: number;
  /** Positions scored (tokens with a target). */
  scored: number;
  /** Supervision steps run through a step export to reach the answer; null for a full export. */
  depth: number | null;
  metrics: TaskMetric[];
  /**
   * Share of scored held-out positions where the export's argmax equals the reference's: the
   * top-1 agreement on real inputs (random token ids are a harsher, less telling test).
   */
  top1Agreement: number;
}

export interface TaskOptions {
  /** Data to score on; default: what the document's `meta.task` trains on. */
  data?: DataSpec;
  /** Seed the source is built with: the training run's. @default 0 (the trainer's default) */
  seed?: number;
  /** Held-out rows: text windows or puzzle examples. @default 32 windows, 256 examples */
  examples?: number;
}

/** The seed a checkpoint's run trained with (its data split depends on it); else the trainer's 0. */
export function trainingSeed(config: unknown): number {
  const seed = (config as { seed?: unknown } | undefined)?.seed;
  return typeof seed === 'number' && Number.isInteger(seed) ? seed : 0;
}

/** A model's scores on the held-out set, and its argmax at every scored position in order. */
export interface TaskScores {
  metrics: Record<string, number>;
  predictions: Int32Array;
}

/** Reference scores of the held-out set, and how to score an export on the same examples. */
export interface TaskProbe {
  info: Omit<TaskCheck, keyof TaskMetric | 'metrics' | 'top1Agreement'>;
  metrics: TaskMetricName[];
  reference: TaskScores;
  score(run: ProgramRunner): Promise<TaskScores>;
}

export type TaskPlan = TaskProbe | { skipped: string };

interface Tally {
  /** The argmax at each scored position, in order. */
  predictions: number[];
  nll: number;
  correct: number;
  counted: number;
  exact: number;
  rows: number;
}

/**
 * Tokens per model call: large calls amortize the per-op cost (which dominates small models
 * on wasm), while bounding the activations held at once to a few MB per value.
 */
const TOKENS_PER_CALL = 4096;

// Building a source reads and tokenizes a corpus (~0.7 s for Brown): keep the last few, so a
// dialog exporting five precisions of one model builds it once.
const sources = new Map<string, Promise<DataSource>>();
const MAX_SOURCES = 4;

function cachedSource(spec: DataSpec, seed: number): Promise<DataSource> {
  const key = `${seed}:${JSON.stringify(spec)}`;
  let source = sources.get(key);
  if (!source) {
    source = createDataSource(spec, seed);
    sources.set(key, source);
    source.catch(() => sources.delete(key));
    if (sources.size > MAX_SOURCES) sources.delete(sources.keys().next().value as string);
  }
  return source;
}

// The reference scores depend on the model and the examples, not on the precision: a dialog
// (or a test) exporting five precisions of one checkpoint scores the tfjs model once.
const referenceScores = new Map<string, Promise<TaskScores>>();
const MAX_REFERENCES = 8;

function cachedReference(
  key: string | undefined,
  compute: () => Promise<TaskScores>,
): Promise<TaskScores> {
  if (key === undefined) return compute();
  let scores = referenceScores.get(key);
  if (!scores) {
    scores = compute();
    referenceScores.set(key, scores);
    scores.catch(() => referenceScores.delete(key));
    if (referenceScores.size > MAX_REFERENCES)
      referenceScores.delete(referenceScores.keys().next().value as string);
  }
  return scores;
}

/** Adds one chunk's logits ([rows · length, classes]) against its targets. */
function tally(into: Tally, logits: Float32Array, batch: Batch, classes: number): void {
  const positions = batch.batch * batch.length;
  if (logits.length !== positions * classes)
    throw new Error(
      `The model gave ${logits.length / classes} positions of logits for ${positions} held-out tokens; the graph's sequence length does not match the task data.`,
    );
  for (let r = 0; r < batch.batch; r++) {
    let all = true;
    for (let i = r * batch.length; i < (r + 1) * batch.length; i++) {
      const target = batch.targets[i] as number;
      if (target === IGNORE) continue;
      const row = logits.subarray(i * classes, (i + 1) * classes);
      let max = -Infinity;
      let arg = 0;
      for (let c = 0; c < classes; c++) {
        if ((row[c] as number) > max) {
          max = row[c] as number;
          arg = c;
        }
      }
      // Log-softmax in float64: exact enough that fp32's delta is rounding, not summation.
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp((row[c] as number) - max);
      into.nll += Math.log(sum) + max - (row[target] as number);
      into.counted++;
      into.predictions.push(Number.isFinite(max) ? arg : -1);
      if (arg === target && Number.isFinite(max)) into.correct++;
      else all = false;
    }
    if (all) into.exact++;
  }
  into.rows += batch.batch;
}

function metricsOf(t: Tally): Record<TaskMetricName, number> {
  return {
    perplexity: Math.exp(t.nll / Math.max(1, t.counted)),
    accuracy: t.correct / Math.max(1, t.counted),
    'exact-match': t.exact / Math.max(1, t.rows),
  };
}

/**
 * The logits for a batch of token ids. A step export (one supervision step) is run the way a
 * host runs it: the first call, fed zero states, gives the initial state (`.init`); then each
 * of the model's steps feeds the previous `.next`. The answer is the last step's logits, so
 * the metric is of the whole model and comparable with the full export's.
 */
async function logitsOf(
  run: ProgramRunner,
  program: IrProgram,
  names: { tokens: string; logits: string },
  inputs: Record<string, HostTensor>,
): Promise<Float32Array> {
  const sup = program.supervision;
  if (!sup) return (await run(inputs))[names.logits] as Float32Array;
  const tokens = inputs[names.tokens]!;
  const [batch, length] = tokens.dims as [number, number];
  const dimsOf = (shape: (number | string)[]) =>
    shape.map((d) => (d === 'B' ? batch : typeof d === 'number' ? d : length));
  const state = (pick: (input: string) => Float32Array | undefined) =>
    Object.fromEntries(
      sup.state.map((s) => {
        const dims = dimsOf(s.shape);
        const data = pick(s.input) ?? new Float32Array(dims.reduce((a, d) => a * d, 1));
        return [s.input, { data, dims }];
      }),
    );
  let out = await run({ ...inputs, ...state(() => undefined) });
  let carried = state((input) => out[`${input}.init`]);
  for (let step = 0; step < sup.steps; step++) {
    out = await run({ ...inputs, ...carried });
    carried = state((input) => out[`${input}.next`]);
  }
  return out[names.logits] as Float32Array;
}

function skipped(reason: string): { skipped: string } {
  return { skipped: reason };
}

function taskOf(doc: GraphDocument): string | undefined {
  const task = (doc.meta as { task?: unknown } | undefined)?.task;
  return typeof task === 'string' ? task : undefined;
}

/** The data spec to score on, or why there is none. */
function resolveSpec(doc: GraphDocument, data?: DataSpec): DataSpec | { skipped: string } {
  if (data) return data;
  const task = taskOf(doc);
  if (task === undefined)
    return skipped(
      'The document names no task (meta.task) and the weights record no training data, so there is no task metric; max error and top-1 agreement still compare every output.',
    );
  try {
    return parseDataArg(undefined, doc);
  } catch {
    return skipped(
      `The document's task "${task}" has no built-in held-out data, so there is no task metric; export from a trained run (its data is recorded) or pass --task-data.`,
    );
  }
}

const KIND_TASK: Record<DataSource['kind'], string> = {
  lm: 'causal-lm',
  mlm: 'masked-lm',
  cells: 'cells',
};

/**
 * Draws the held-out set, scores the reference on it, and returns how to score an export on
 * the same rows; or, when no metric can be meaningful, the reason as a sentence.
 */
export async function taskProbe(
  doc: GraphDocument,
  program: IrProgram,
  reference: ProgramRunner,
  opts: TaskOptions & {
    mode: 'full' | 'step' | 'decode';
    maxLength: number;
    /** Identifies the document and weights (a digest): equal keys reuse the reference scores. */
    modelKey?: string;
  },
): Promise<TaskPlan> {
  if (opts.mode === 'decode')
    return skipped(
      'A KV-cache (decode) export computes the full model one token at a time; its task metric is the full export’s, and this check compares its outputs only.',
    );
  const spec = resolveSpec(doc, opts.data);
  if ('skipped' in spec) return spec;
  let source: DataSource;
  try {
    source = await cachedSource(spec, opts.seed ?? 0);
  } catch (e) {
    return skipped(
      `The task data could not be loaded (${(e as Error).message.replace(/\.$/, '')}), so there is no task metric.`,
    );
  }
  const tokens = program.inputs.find((i) => i.role === 'tokens');
  const logits = program.outputs.find((o) => o.role === 'logits');
  const classes = logits?.shape[logits.shape.length - 1];
  if (!tokens || !logits || typeof classes !== 'number')
    return skipped('The graph has no token input and logits head, so there is no task metric.');
  if (classes < source.vocabSize)
    return skipped(
      `The head predicts ${classes} classes but the task data "${source.name}" has a vocabulary of ${source.vocabSize}, so there is no task metric; set the graph's V to ${source.vocabSize}.`,
    );
  const fixed = tokens.shape[1];
  if (typeof fixed === 'number' ? fixed !== source.length : opts.maxLength < source.length)
    return skipped(
      `The token input takes ${typeof fixed === 'number' ? fixed : `up to ${opts.maxLength}`} tokens but the task data "${source.name}" has sequences of ${source.length}, so there is no task metric.`,
    );
  const examples = opts.examples ?? (source.kind === 'cells' ? 256 : 32);
  const all = source.validation(examples);
  const names = { tokens: tokens.name, logits: logits.name };
  const puzzle = program.inputs.find((i) => i.role === 'puzzle');
  const score = async (run: ProgramRunner) => {
    const t: Tally = { predictions: [], nll: 0, correct: 0, counted: 0, exact: 0, rows: 0 };
    const rows = Math.max(1, Math.floor(TOKENS_PER_CALL / all.length));
    for (let from = 0; from < all.batch; from += rows) {
      const chunk = sliceBatch(all, from, Math.min(all.batch, from + rows));
      // The feeds get their own buffers (a runner may hand them to onnxruntime as is).
      const feeds: Record<string, HostTensor> = {
        [tokens.name]: { data: chunk.inputs.slice(), dims: [chunk.batch, chunk.length] },
      };
      if (puzzle) {
        const ids = chunk.puzzle?.slice() ?? new Int32Array(chunk.batch);
        feeds[puzzle.name] = { data: ids, dims: [chunk.batch] };
      }
      tally(t, await logitsOf(run, program, names, feeds), chunk, classes);
    }
    return { metrics: metricsOf(t), predictions: Int32Array.from(t.predictions) };
  };
  const counted = all.targets.filter((x) => x !== IGNORE).length;
  const split = source.kind === 'cells' ? 'held-out set' : 'validation split';
  return {
    info: {
      task: taskOf(doc) ?? KIND_TASK[source.kind],
      data: `${source.name} ${split}, ${all.batch} ${source.kind === 'cells' ? 'examples' : `windows of ${all.length} tokens`}`,
      examples: all.batch,
      scored: counted,
      depth: program.supervision ? program.supervision.steps : null,
    },
    metrics:
      source.kind === 'cells'
        ? source.exactMatch
          ? ['exact-match', 'accuracy']
          : ['accuracy']
        : ['perplexity', 'accuracy'],
    reference: await cachedReference(
      opts.modelKey &&
        `${opts.modelKey}:${opts.mode}:${opts.seed ?? 0}:${examples}:${JSON.stringify(spec)}`,
      () => score(reference),
    ),
    score,
  };
}

/** The check of an export: the probe's reference against the export's scores. */
export function compareTask(probe: TaskProbe, onnx: TaskScores): TaskCheck {
  const metrics = probe.metrics.map((metric) => {
    const reference = probe.reference.metrics[metric] as number;
    const got = onnx.metrics[metric] as number;
    return { metric, reference, onnx: got, delta: got - reference };
  });
  const ref = probe.reference.predictions;
  let same = 0;
  for (let i = 0; i < ref.length; i++) if (ref[i] === onnx.predictions[i] && ref[i] !== -1) same++;
  const top1Agreement = ref.length === 0 ? 1 : same / ref.length;
  return { ...probe.info, ...(metrics[0] as TaskMetric), metrics, top1Agreement };
}

/**
 * The data a model was trained on (its spec, else the document's meta.task), built once and
 * shared with the task check: an export folder reads its tokenizer and puzzle encoding.
 */
export async function taskSource(
  doc: GraphDocument,
  data: DataSpec | undefined,
  seed: number,
): Promise<DataSource | undefined> {
  const spec = resolveSpec(doc, data);
  if ('skipped' in spec) return undefined;
  try {
    return await cachedSource(spec, seed);
  } catch {
    return undefined;
  }
}
