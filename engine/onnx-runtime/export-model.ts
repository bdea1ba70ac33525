import { createHash } from 'node:crypto';
import type onnxProto from 'onnx-proto';
import { compile } from '../graph/compile.ts';
import { toDecodeProgram } from '../graph/decode.ts';
import { formatDiagnostic } from '../graph/diagnostics.ts';
import { WriteError, writeFileAtomic } from '../io/durable-write.ts';
import { mulberry32 } from '../graph/init.ts';
import type { IrProgram } from '../graph/ir.ts';
import { puzzleTable } from '../graph/puzzle-input.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { emitOnnx, sanitizeName, type Opset, type Precision } from '../onnx/emit.ts';
import { numel } from '../graph/dims.ts';
import { matchSavedNames } from '../graph/saved-names.ts';
import { initialValues } from '../onnx/initial-weights.ts';
import { onnx } from '../onnx/proto.ts';
import { checkExportFits } from '../train/preflight.ts';
import { tfjsRunner } from './reference.ts';
import { taskProbe, type TaskOptions } from './task-metric.ts';
import type { VerifyThresholds } from './verdict.ts';
import {
  unverifiedReport,
  verifyExport,
  verifyPath,
  type HostTensor,
  type VerifyOptions,
  type VerifyReport,
} from './verify.ts';

export interface ExportRequest {
  doc: GraphDocument;
  precision: Precision;
  opset?: Opset;
  /**
   * `full`: the fixed-depth model; `step`: one deep-supervision step (state in → state out);
   * `decode`: the full model with a KV cache (past keys/values in, present out; opset-17 form,
   * recursions unrolled so every attention application has its own cache).
   */
  mode?: 'full' | 'step' | 'decode';
  /** Trained values by IR name; initial weights (seed 0) when absent. */
  weights?: Map<string, Float32Array>;
  /** Extra metadata_props (tokenizer, vocabulary, training config). */
  metadata?: Record<string, string>;
  producerVersion?: string;
  /** Write the model here (atomically) and `<model>.verify.json` beside it. */
  out?: string;
  /** Held-out inputs: batch size, sequence length (default: min(maxLength, 32)), seed. */
  heldOut?: { batch?: number; length?: number; seed?: number };
  latencyRuns?: number;
  /** Recursions as ONNX Loops. @default true */
  loops?: boolean;
  /**
   * The held-out task check: its data (default: what `meta.task` trains on), the training
   * seed, the number of examples; `false` skips it.
   */
  task?: TaskOptions | false;
  /** Overrides of the precision's default thresholds. */
  thresholds?: VerifyThresholds;
}

/** One input or output of the exported file as a host sees it: ONNX name, type, dims. */
export interface IoSpec {
  name: string;
  type: string;
  /** Fixed sizes as numbers, dynamic axes by their dim_param (`B`, `T`). */
  shape: (number | string)[];
}

const ELEM_TYPES: Record<number, string> = { 1: 'float32', 6: 'int32', 7: 'int64', 10: 'float16' };

/** The graph inputs and outputs read back from the file, so a snippet names what is there. */
export function onnxSignature(bytes: Uint8Array): { inputs: IoSpec[]; outputs: IoSpec[] } {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const spec = (v: onnxProto.onnx.IValueInfoProto): IoSpec => {
    const t = v.type?.tensorType;
    return {
      name: v.name ?? '',
      type: ELEM_TYPES[t?.elemType ?? 0] ?? `onnx type ${t?.elemType}`,
      shape: (t?.shape?.dim ?? []).map((d) => d.dimParam || Number(d.dimValue ?? 0)),
    };
  };
  return { inputs: (graph?.input ?? []).map(spec), outputs: (graph?.output ?? []).map(spec) };
}

export interface ExportResult {
  bytes: Uint8Array;
  report: VerifyReport;
  program: IrProgram;
  /**
   * What the export was verified with: verify other bytes (an edited file) the same way.
   * Absent when the tfjs reference could not be computed (`report.judgedBy` is `unverified`).
   */
  verify?: VerifyOptions;
}

function tokenInputs(doc: GraphDocument): Map<string, { vocab: number; maxLength: number }> {
  const resolve = (v: unknown) => (typeof v === 'string' ? (doc.dims[v] as number) : (v as number));
  const found = new Map<string, { vocab: number; maxLength: number }>();
  for (const n of doc.main.nodes) {
    if (n.kind !== 'token-input') continue;
    found.set(n.id, { vocab: resolve(n.params.vocab), maxLength: resolve(n.params.maxLength) });
  }
  return found;
}

/**
 * Seeded held-out feeds: random token ids (and puzzle ids across the per-puzzle table), and
 * N(0, 1) states for a step export.
 */
export function heldOutFeeds(
  program: IrProgram,
  doc: GraphDocument,
  opts: { batch?: number; length?: number; seed?: number; decode?: boolean } = {},
): Record<string, HostTensor> {
  const rand = mulberry32(opts.seed ?? 12345);
  const tokens = tokenInputs(doc);
  const batch = opts.batch ?? 8;
  const maxLength = Math.max(...[...tokens.values()].map((t) => t.maxLength), 1);
  // A decode program takes past keys/values and new tokens of this length each: together they
  // must fit the position table, so each gets at most half of it.
  const length =
    opts.length ?? Math.max(1, Math.min(opts.decode ? Math.floor(maxLength / 2) : maxLength, 32));
  const feeds: Record<string, HostTensor> = {};
  const puzzles = puzzleTable(program)?.rows;
  for (const input of program.inputs) {
    const dims = input.shape.map((d) => (d === 'B' ? batch : typeof d === 'number' ? d : length));
    const n = dims.reduce((a, d) => a * d, 1);
    if (input.dtype === 'int32') {
      const vocab = (input.role === 'puzzle' ? puzzles : tokens.get(input.name)?.vocab) ?? 2;
      feeds[input.name] = {
        data: Int32Array.from({ length: n }, () => Math.floor(rand() * vocab)),
        dims,
      };
    } else {
      const data = Float32Array.from({ length: n }, () => {
        const u = Math.max(rand(), 1e-12);
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
      });
      feeds[input.name] = { data, dims };
    }
  }
  return feeds;
}

export { exportedOutputs } from './reference.ts';

/** The tfjs executor's outputs on the feeds: the reference every export is judged against. */
export async function referenceOutputs(
  program: IrProgram,
  values: Map<string, Float32Array>,
  feeds: Record<string, HostTensor>,
): Promise<Record<string, Float32Array>> {
  const reference = tfjsRunner(program, values);
  try {
    return await reference.run(feeds);
  } finally {
    reference.dispose();
  }
}

/** A digest of the document and every weight value: what the reference outputs depend on. */
function modelDigest(doc: GraphDocument, values: Map<string, Float32Array>): string {
  const hash = createHash('sha256').update(JSON.stringify(doc));
  for (const name of [...values.keys()].sort()) {
    const v = values.get(name) as Float32Array;
    hash.update(name).update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return hash.digest('hex');
}

/**
 * Compile, emit, write and verify one export: the path shared by the CLI and the app. Throws
 * a sentence naming the problem when the graph does not compile or weights do not fit.
 */
export async function exportModel(req: ExportRequest): Promise<ExportResult> {
  const mode = req.mode ?? 'full';
  const compiled = compile(req.doc, { mode: mode === 'step' ? 'step' : 'full' });
  if (!compiled.program) {
    throw new Error(
      `The graph does not compile, so it cannot be exported:\n${compiled.diagnostics.map(formatDiagnostic).join('\n')}`,
    );
  }
  checkExportFits(compiled.totalParams + compiled.uncountedParams, req.precision);
  const program = mode === 'decode' ? toDecodeProgram(compiled.program).program : compiled.program;
  if (mode === 'step' && !program.supervision)
    throw new Error(
      'A step export needs a recursion with deep supervision; this graph has none. Export with --mode full.',
    );
  const initial = initialValues(program);
  // Trained state: the parameters and the running buffers (BatchNorm's statistics).
  const trained = [
    ...program.params.values(),
    ...[...program.buffers.values()].filter((b) => b.running),
  ];
  // Saved names, also for weights trained before the document was grouped or ungrouped.
  const savedName = req.weights
    ? matchSavedNames(
        trained.map((p) => ({ name: p.name, size: numel(p.shape) })),
        [...req.weights].map(([name, v]) => ({ name, size: v.length })),
      )
    : new Map<string, string>();
  const savedOr = (name: string, initialValue: Float32Array) =>
    req.weights?.get(savedName.get(name) ?? name) ?? initialValue;
  const weights = new Map(
    [...program.params.keys()].map((name) => [
      name,
      savedOr(name, initial.weights.get(name) as Float32Array),
    ]),
  );
  const buffers = new Map(
    [...initial.buffers].map(([name, v]) => [
      name,
      program.buffers.get(name)?.running ? savedOr(name, v) : v,
    ]),
  );
  if (req.weights) {
    const missing = trained.map((w) => w.name).filter((n) => !savedName.has(n));
    if (missing.length > 0)
      throw new Error(
        `The weights lack ${missing.length} of this graph's parameters and running statistics (first: "${missing[0]}"): they belong to a different graph. Pass the checkpoint trained from this graph.`,
      );
  }
  const tokens = tokenInputs(req.doc);
  const bytes = emitOnnx(program, weights, buffers, {
    opset: req.opset ?? 17,
    precision: req.precision,
    producerVersion: req.producerVersion ?? '0.1.0',
    maxPositions: Math.max(...[...tokens.values()].map((t) => t.maxLength), 1),
    loops: mode === 'decode' ? false : (req.loops ?? true),
    metadata: {
      'trm.graph': JSON.stringify(req.doc),
      'trm.mode': mode,
      ...req.metadata,
    },
  });
  // Written before the check: an export whose check cannot run is still the user's file.
  if (req.out) await writeFileAtomic(req.out, bytes, 'the ONNX model');
  const feeds = heldOutFeeds(program, req.doc, { decode: mode === 'decode', ...req.heldOut });
  const values = new Map([...weights, ...buffers]);
  const unverified = async (what: string, e: unknown): Promise<ExportResult> => {
    if (e instanceof WriteError) throw e;
    const report = unverifiedReport(bytes, req.precision, what, e);
    if (req.out)
      await writeFileAtomic(
        verifyPath(req.out),
        JSON.stringify(report, null, 2),
        'the verification report',
      );
    return { bytes, report, program };
  };
  const tfjs = tfjsRunner(program, values);
  let reference: Record<string, Float32Array>;
  let task: VerifyOptions['task'];
  try {
    try {
      reference = await tfjs.run(feeds);
    } catch (e) {
      return await unverified('the tfjs reference run on the held-out inputs', e);
    }
    task =
      req.task === false
        ? { skipped: 'The task check was turned off for this export.' }
        : await taskProbe(req.doc, program, tfjs.run, {
            ...req.task,
            mode,
            modelKey: modelDigest(req.doc, values),
            maxLength: Math.max(...[...tokens.values()].map((t) => t.maxLength), 1),
          }).catch((e: unknown) => ({
            skipped: `The task check could not run (${(e as Error).message.replace(/\.$/, '')}); the outputs were checked on random inputs only.`,
          }));
  } finally {
    tfjs.dispose();
  }
  const logits: Record<string, number> = {};
  for (const o of program.outputs) {
    const last = o.shape[o.shape.length - 1];
    if (o.role === 'logits' && typeof last === 'number') logits[o.name] = last;
  }
  const onnxNames: Record<string, string> = {};
  for (const n of [...Object.keys(feeds), ...Object.keys(reference)])
    onnxNames[n] = sanitizeName(n);
  const verify: VerifyOptions = {
    precision: req.precision,
    trained: req.weights !== undefined,
    feeds,
    reference,
    logits,
    halts: program.outputs.filter((o) => o.role === 'halt').map((o) => o.name),
    onnxNames,
    task,
    ...(req.thresholds ? { thresholds: req.thresholds } : {}),
    ...(req.latencyRuns !== undefined ? { latencyRuns: req.latencyRuns } : {}),
  };
  let report: VerifyReport;
  try {
    report = await verifyExport(bytes, {
      ...verify,
      ...(req.out ? { modelPath: req.out } : {}),
    });
  } catch (e) {
    return { ...(await unverified('running the export in onnxruntime', e)), verify };
  }
  return { bytes, report, program, verify };
}
