import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../graph/compile.ts';
import { toDecodeProgram } from '../graph/decode.ts';
import { formatDiagnostic } from '../graph/diagnostics.ts';
import { writeFileAtomic } from '../io/durable-write.ts';
import { mulberry32 } from '../graph/init.ts';
import type { IrProgram } from '../graph/ir.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { emitOnnx, sanitizeName, type Opset, type Precision } from '../onnx/emit.ts';
import { initialValues } from '../onnx/initial-weights.ts';
import { runProgram } from '../runtime/executor.ts';
import { createWeights } from '../runtime/weights.ts';
import { verifyExport, type HostTensor, type VerifyReport } from './verify.ts';

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
}

export interface ExportResult {
  bytes: Uint8Array;
  report: VerifyReport;
  program: IrProgram;
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

/** Seeded held-out feeds: random token ids, and N(0, 1) states for a step export. */
export function heldOutFeeds(
  program: IrProgram,
  doc: GraphDocument,
  opts: { batch?: number; length?: number; seed?: number } = {},
): Record<string, HostTensor> {
  const rand = mulberry32(opts.seed ?? 12345);
  const tokens = tokenInputs(doc);
  const batch = opts.batch ?? 8;
  const maxLength = Math.max(...[...tokens.values()].map((t) => t.maxLength), 1);
  const length = opts.length ?? Math.min(maxLength, 32);
  const feeds: Record<string, HostTensor> = {};
  for (const input of program.inputs) {
    const dims = input.shape.map((d) => (d === 'B' ? batch : typeof d === 'number' ? d : length));
    const n = dims.reduce((a, d) => a * d, 1);
    if (input.dtype === 'int32') {
      const vocab = tokens.get(input.name)?.vocab ?? 2;
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

/** Program outputs plus, for a step export, each state's next and initial value. */
export function exportedOutputs(program: IrProgram): { name: string; value: string }[] {
  const outs = program.outputs.map((o) => ({ name: o.name, value: o.name }));
  for (const s of program.supervision?.state ?? []) {
    outs.push({ name: `${s.input}.next`, value: s.output });
    outs.push({ name: `${s.input}.init`, value: s.init });
  }
  return outs;
}

/** The tfjs executor's outputs on the feeds: the reference every export is judged against. */
export function referenceOutputs(
  program: IrProgram,
  values: Map<string, Float32Array>,
  feeds: Record<string, HostTensor>,
): Record<string, Float32Array> {
  const store = createWeights(program, 0);
  const tensors: tf.Tensor[] = [];
  try {
    for (const [name, v] of store.params) {
      const given = values.get(name);
      if (given) v.assign(tf.tensor(given, v.shape));
    }
    const feedTensors: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      const tensor =
        t.data instanceof Int32Array
          ? tf.tensor(t.data, t.dims, 'int32')
          : tf.tensor(t.data, t.dims);
      feedTensors[name] = tensor;
      tensors.push(tensor);
    }
    const outs = exportedOutputs(program);
    const result = runProgram(
      program,
      store,
      feedTensors,
      outs.map((o) => o.value),
    );
    const ref: Record<string, Float32Array> = {};
    for (const o of outs) {
      const t = result[o.value] as tf.Tensor;
      ref[o.name] = t.dataSync() as Float32Array;
      tensors.push(t);
    }
    return ref;
  } finally {
    tf.dispose(tensors);
    store.dispose();
  }
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
  const program = mode === 'decode' ? toDecodeProgram(compiled.program).program : compiled.program;
  if (mode === 'step' && !program.supervision)
    throw new Error(
      'A step export needs a recursion with deep supervision; this graph has none. Export with --mode full.',
    );
  const initial = initialValues(program);
  const weights = new Map(
    [...program.params.keys()].map((name) => [
      name,
      req.weights?.get(name) ?? (initial.weights.get(name) as Float32Array),
    ]),
  );
  if (req.weights) {
    const missing = [...program.params.keys()].filter((n) => !req.weights?.has(n));
    if (missing.length > 0)
      throw new Error(
        `The weights lack ${missing.length} of this graph's parameters (first: "${missing[0]}"): they belong to a different graph. Pass the checkpoint trained from this graph.`,
      );
  }
  const tokens = tokenInputs(req.doc);
  const bytes = emitOnnx(program, weights, initial.buffers, {
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
  const feeds = heldOutFeeds(program, req.doc, req.heldOut);
  const reference = referenceOutputs(program, new Map([...weights, ...initial.buffers]), feeds);
  const logits: Record<string, number> = {};
  for (const o of program.outputs) {
    const last = o.shape[o.shape.length - 1];
    if (o.role === 'logits' && typeof last === 'number') logits[o.name] = last;
  }
  const onnxNames: Record<string, string> = {};
  for (const n of [...Object.keys(feeds), ...Object.keys(reference)])
    onnxNames[n] = sanitizeName(n);
  if (req.out) await writeFileAtomic(req.out, bytes, 'the ONNX model');
  const report = await verifyExport(bytes, {
    precision: req.precision,
    feeds,
    reference,
    logits,
    halts: program.outputs.filter((o) => o.role === 'halt').map((o) => o.name),
    onnxNames,
    ...(req.out ? { modelPath: req.out } : {}),
    ...(req.latencyRuns !== undefined ? { latencyRuns: req.latencyRuns } : {}),
  });
  return { bytes, report, program };
}
