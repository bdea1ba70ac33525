import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import type { DataSpec } from '../../engine/data/spec.ts';
import { compile } from '../../engine/graph/compile.ts';
import { formatDiagnostic } from '../../engine/graph/diagnostics.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { exportModel } from '../../engine/onnx-runtime/export-model.ts';
import { createSession, type HostTensor } from '../../engine/onnx-runtime/verify.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { parseTrainConfig, type TrainConfigInput } from '../../engine/train/config.ts';
import { parseDataArg } from '../../engine/data/data-arg.ts';
import { configFromDocument } from '../../engine/train/document-config.ts';
import { train } from '../../engine/train/trainer.ts';
import { withSmallInit } from '../support/init.ts';

/**
 * What the golden test pins for every template: the losses of a short seeded training run as
 * `trm train` sets it up (the document's own recipe and data, fewer steps, a small batch), and
 * the fp32 ONNX export's outputs in onnxruntime beside the tfjs executor's on a fixed input.
 * `record.ts` writes them to templates.json; `templates.test.ts` recomputes and compares.
 */

/**
 * The tfjs backend of every golden run. wasm: single-threaded in Node and the same binary on
 * every machine, so its rounding is the same everywhere; the pure-JS cpu backend is as stable
 * but 15× slower (55 s for tiny-gpt's 20 steps), and the native kernels are an optional build
 * whose OpenBLAS picks its sums by CPU and thread count.
 */
export const BACKEND = 'wasm';
export const GOLDEN_FILE = 'test/golden/templates.json';
export const STEPS = 20;

/**
 * Settings laid over each template's own `meta.training`. 20 steps at batch 8 keep a template
 * to a few seconds; no warmup, so every step moves the weights at the recipe's learning rate and
 * a wrong gradient shows in the losses; one small evaluation at the end; no checkpoints.
 */
const RUN: TrainConfigInput = {
  steps: STEPS,
  batch: 8,
  warmup: 0,
  evalEvery: 0,
  evalExamples: 8,
  checkpointSeconds: 0,
  seed: 1,
  backend: BACKEND,
};

/** Text windows of 32 tokens, not the graph's T of 64: the same graph at half the work. */
const TEXT_LENGTH = 32;

function shortened(spec: DataSpec): DataSpec {
  if (spec.type === 'corpus' || spec.type === 'text') return { ...spec, length: TEXT_LENGTH };
  if (spec.type === 'mlm') return { ...spec, base: { ...spec.base, length: TEXT_LENGTH } };
  return spec;
}

/** The fixed input of the export check: heldOutFeeds' seeded tokens (and states, in step mode). */
const HELD_OUT = { batch: 2, length: 16, seed: 7 };

/**
 * The TRM templates run from the contractive start (test/support/init.ts), because from their
 * own LeCun start a rounding-sized change grows past any tolerance that could catch a bug:
 * scaling every weight by (1 + 2⁻²³) moves TRM-MLP's step-2 loss by 1e-5 and its step-12 loss
 * by 2e-2, and TRM-Att's fp32 full-mode outputs by 2.4 times the 1e-5 allowed. From the small
 * start the same nudge moves no loss by more than 3e-7 and no output by more than 0.1 of the
 * tolerance, as from every other template's own start.
 */
const SMALL_INIT = new Set(['trm-mlp-sudoku.json', 'trm-sudoku.json']);

export interface OutputSummary {
  shape: number[];
  /** The first values in row-major order. */
  first: number[];
  sum: number;
  absSum: number;
}

export interface ExportGolden {
  /** Each input's shape and sum: the fixed input the outputs were computed on. */
  inputs: Record<string, { shape: number[]; sum: number }>;
  onnx: Record<string, OutputSummary>;
  tfjs: Record<string, OutputSummary>;
}

export interface TemplateGolden {
  /** sha256 of the template file the values were recorded from. */
  templateSha256: string;
  settings: {
    document: 'as written' | 'withSmallInit (test/support/init.ts)';
    data: unknown;
    /** The training config in full, the template's recipe with RUN laid over it. */
    config: Record<string, unknown>;
    export: { precision: 'fp32'; weights: 'initial (seed 0)'; heldOut: typeof HELD_OUT };
  };
  /** `name [shape]` of every parameter, sorted: their names seed their initial values. */
  params: string[];
  losses: number[];
  /** The held-out loss of the evaluation that ends the run. */
  evalLoss: number;
  exports: Partial<Record<'full' | 'step', ExportGolden>>;
}

const FIRST_VALUES = 16;

/**
 * 9 significant digits: every float32 survives the round trip, and sums (float64) keep 1e-9
 * relative, far inside the 1e-5 the test allows.
 */
const keep = (x: number) => Number(x.toPrecision(9));

function summarize(data: ArrayLike<number>, shape: readonly number[]): OutputSummary {
  let sum = 0;
  let absSum = 0;
  for (let i = 0; i < data.length; i++) {
    sum += data[i]!;
    absSum += Math.abs(data[i]!);
  }
  return {
    shape: [...shape],
    first: Array.from({ length: Math.min(FIRST_VALUES, data.length) }, (_, i) => keep(data[i]!)),
    sum: keep(sum),
    absSum: keep(absSum),
  };
}

function loadTemplate(file: string): { doc: GraphDocument; sha256: string } {
  const text = readFileSync(`templates/${file}`, 'utf8');
  const parsed = parseDocument(text);
  if (!parsed.ok)
    throw new Error(
      `templates/${file} does not parse: ${parsed.diagnostics.map(formatDiagnostic).join(' ')}`,
    );
  return { doc: parsed.doc, sha256: createHash('sha256').update(text).digest('hex') };
}

/** As verify.ts feeds onnxruntime; here the outputs' dims are kept, which runOnnx drops. */
function toOrt(t: HostTensor): ort.Tensor {
  return t.data instanceof Int32Array
    ? new ort.Tensor('int32', t.data, t.dims)
    : new ort.Tensor('float32', t.data, t.dims);
}

/** The fp32 export of the initial weights, run in onnxruntime and in the tfjs executor. */
async function measureExport(doc: GraphDocument, mode: 'full' | 'step'): Promise<ExportGolden> {
  const { bytes, report, verify } = await exportModel({
    doc,
    precision: 'fp32',
    mode,
    heldOut: HELD_OUT,
    latencyRuns: 0,
    task: false,
  });
  if (!verify) throw new Error(`${mode} export was not verified: ${report.failures.join(' ')}`);
  const names = verify.onnxNames ?? {};
  const session = await createSession(bytes);
  try {
    const feeds = Object.fromEntries(
      Object.entries(verify.feeds).map(([name, t]) => [names[name] ?? name, toOrt(t)]),
    );
    const result = await session.run(feeds);
    const golden: ExportGolden = { inputs: {}, onnx: {}, tfjs: {} };
    for (const [name, t] of Object.entries(verify.feeds)) {
      golden.inputs[name] = { shape: t.dims, sum: summarize(t.data, t.dims).sum };
    }
    for (const [name, reference] of Object.entries(verify.reference)) {
      const out = result[names[name] ?? name];
      if (out?.data.length !== reference.length)
        throw new Error(
          `${mode} export: onnxruntime gave ${out?.data.length ?? 0} values for "${name}", tfjs ${reference.length}`,
        );
      golden.onnx[name] = summarize(out.data as Float32Array, out.dims);
      golden.tfjs[name] = summarize(reference, out.dims);
    }
    return golden;
  } finally {
    await session.release();
  }
}

/** Train, evaluate and export one template as its golden values record them. */
export async function measureTemplate(file: string): Promise<TemplateGolden> {
  await selectBackend(BACKEND);
  const loaded = loadTemplate(file);
  const small = SMALL_INIT.has(file);
  const doc = small ? withSmallInit(loaded.doc) : loaded.doc;
  const data = shortened(parseDataArg(undefined, doc));
  const config = parseTrainConfig({ ...configFromDocument(doc), ...RUN });
  const result = await train({ document: doc, data, config });
  let losses: number[];
  let evalLoss: number;
  try {
    if (result.status !== 'completed')
      throw new Error(`${file}: training ${result.status}: ${result.error}`);
    losses = result.history.map((h) => keep(h.loss));
    evalLoss = keep(result.evals.at(-1)!.loss);
  } finally {
    result.model.dispose();
  }
  const full = compile(doc, { mode: 'full' }).program!;
  const modes = compile(doc, { mode: 'step' }).program?.supervision
    ? (['full', 'step'] as const)
    : (['full'] as const);
  const exports: TemplateGolden['exports'] = {};
  for (const mode of modes) exports[mode] = await measureExport(doc, mode);
  return {
    templateSha256: loaded.sha256,
    settings: {
      document: small ? 'withSmallInit (test/support/init.ts)' : 'as written',
      data,
      config: { ...config },
      export: { precision: 'fp32', weights: 'initial (seed 0)', heldOut: HELD_OUT },
    },
    params: [...full.params.values()].map((p) => `${p.name} [${p.shape.join(', ')}]`).sort(),
    losses,
    evalLoss,
    exports,
  };
}
