import { join } from 'node:path';
import { parseDocument } from '../graph/parse.ts';
import { probeWritable, WriteError } from '../io/durable-write.ts';
import type { GraphDocument } from '../graph/schema.ts';
import type { TaskCheck } from '../onnx-runtime/task-metric.ts';
import type { ExportReport, ParsedParams, TaskResult } from '../contract/api.ts';
import { confineTo } from '../io/confine.ts';
import { confineRecorded } from './data-paths.ts';
import { checkExportFits } from '../train/preflight.ts';
import { analyzeDocument } from '../graph/analyze.ts';
import { ServiceError } from './errors.ts';
import { runCheckpoint, safeName } from './run-checkpoint.ts';
import type { DataSpec } from '../data/spec.ts';
import type { TaskOptions } from '../onnx-runtime/task-metric.ts';
import type { RunManager } from './runs.ts';
import type { EncoderDecoderRequest } from '../onnx-runtime/export-encoder-decoder.ts';

/** JSON has no NaN or Infinity: a non-finite score (a broken export) travels as null. */
const finite = (x: number) => (Number.isFinite(x) ? x : null);

function taskResult(task: TaskCheck | null): TaskResult | null {
  if (!task) return null;
  const metrics = task.metrics.map((m) => ({
    ...m,
    onnx: finite(m.onnx),
    delta: finite(m.delta),
  }));
  // Top-1 agreement travels once, as the report's own `top1Agreement` (`top1On: held-out`).
  return { ...task, ...metrics[0]!, metrics };
}

/**
 * `export.run`: a run's graph with its last checkpoint's weights (or a document with its
 * initial weights) to ONNX, verified against tfjs. Files go to the run's `exports/` folder,
 * or `<workspace>/exports/` for a document.
 */
export async function exportRun(
  params: ParsedParams<'export.run'>,
  runs: RunManager,
  workspace: string,
): Promise<ExportReport> {
  const { precision, mode } = params;
  let doc: GraphDocument;
  let weights: Map<string, Float32Array> | undefined;
  let task: TaskOptions = {};
  const metadata: Record<string, string> = {};
  let folder: string;
  let training: { config?: unknown; step?: number } | undefined;
  if (params.runId !== undefined) {
    const parsed = parseDocument(JSON.stringify(await runs.graphOf(params.runId)));
    if (!parsed.ok) {
      throw new ServiceError('bad-document', `Run ${params.runId} has a damaged graph snapshot.`);
    }
    doc = parsed.doc;
    folder = await runs.folder(params.runId, 'exports');
    const { divergedWeights } = await import('../onnx-runtime/checkpoint.ts');
    const { trainingSeed } = await import('../onnx-runtime/task-metric.ts');
    const ckpt = await runCheckpoint(runs, params.runId);
    const diverged = divergedWeights(
      ckpt,
      'start a new run with a lower learning rate and export that one',
    );
    if (diverged) throw new ServiceError('diverged-weights', `Run ${params.runId}: ${diverged}`);
    weights = ckpt.values;
    const dataSpec =
      ckpt.dataSpec === undefined
        ? undefined
        : await confineRecorded(workspace, `Run ${params.runId}'s checkpoint`)(ckpt.dataSpec);
    training = {
      ...(ckpt.config !== undefined ? { config: ckpt.config } : {}),
      ...(ckpt.step !== undefined ? { step: ckpt.step } : {}),
    };
    if (ckpt.config !== undefined) metadata['trm.training'] = JSON.stringify(ckpt.config);
    if (dataSpec !== undefined) metadata['trm.data'] = JSON.stringify(dataSpec);
    // Scored on the run's own held-out data: its data spec, split with its seed.
    task = {
      ...(dataSpec ? { data: dataSpec as DataSpec } : {}),
      seed: trainingSeed(ckpt.config),
    };
  } else {
    doc = params.document!;
    folder = join(workspace, 'exports');
  }
  // One export folder per graph and mode (Hugging Face layout); each precision adds its file.
  const dir = join(folder, `${safeName(doc.name)}-${mode}`);
  // The exports folder or the model folder may be a link; the model is written only in the workspace.
  if ((await confineTo(workspace, dir)) === null) {
    throw new ServiceError(
      'outside-workspace',
      `${dir} links outside the workspace (${workspace}); the app writes exports only there. Remove the link and export again.`,
    );
  }
  // Before the folder, the weights or the file: a model over ONNX's limit is refused at once.
  const { totals } = analyzeDocument(doc);
  checkExportFits(totals.params + totals.uncountedParams, precision);
  try {
    await probeWritable(dir, 'the ONNX model');
  } catch (e) {
    throw new ServiceError('write-failed', (e as Error).message);
  }
  const { selectBackend } = await import('../runtime/backend.ts');
  const backend = await selectBackend();
  if (mode === 'encoder-decoder') {
    if (!weights) {
      throw new ServiceError(
        'needs-run',
        'The encoder–decoder export checks the pair by decoding held-out sources of a trained run; pick a run as the weights.',
      );
    }
    const checkpoints = await runs.folder(params.runId!, 'checkpoints');
    return exportPair({ doc, run: checkpoints, weights, precision, dir, metadata }, backend.active);
  }
  const { onnxSignature } = await import('../onnx-runtime/export-model.ts');
  const { exportFolder } = await import('../onnx-runtime/export-folder.ts');
  let report;
  let bytes;
  let out;
  try {
    ({
      report,
      bytes,
      modelPath: out,
    } = await exportFolder({
      doc,
      precision,
      mode,
      dir,
      metadata,
      task,
      ...(weights ? { weights } : {}),
      ...(training ? { training } : {}),
    }));
  } catch (e) {
    // A full disk or a read-only folder is no fault of the graph: say so, not "try another".
    if (e instanceof WriteError) throw new ServiceError('write-failed', e.message);
    throw new ServiceError(
      'export-failed',
      `The ${precision} export failed: ${(e as Error).message.replace(/\.$/, '')}. Try another precision, or fix the graph and export again.`,
    );
  }
  return {
    path: out,
    precision,
    mode,
    trained: weights !== undefined,
    ok: report.ok,
    fileBytes: report.fileBytes,
    maxAbsError: finite(report.maxAbsError),
    top1Agreement: report.top1Agreement ?? null,
    top1On: report.top1On ?? null,
    latencyMs: report.latencyMs ?? null,
    failures: report.failures,
    judgedBy: report.judgedBy,
    note: report.note,
    reference: backend.active,
    task: taskResult(report.task),
    taskSkipped: report.taskSkipped,
    signature: onnxSignature(bytes),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** `export.run` in encoder-decoder mode: the pair's check as the dialog's report. */
async function exportPair(
  req: Omit<EncoderDecoderRequest, 'opset'>,
  reference: string,
): Promise<ExportReport> {
  const { exportEncoderDecoder } = await import('../onnx-runtime/export-encoder-decoder.ts');
  const { onnxSignature } = await import('../onnx-runtime/export-model.ts');
  let pair;
  try {
    pair = await exportEncoderDecoder({ ...req, opset: 17 });
  } catch (e) {
    if (e instanceof WriteError) throw new ServiceError('write-failed', e.message);
    throw new ServiceError(
      'export-failed',
      `The encoder–decoder export failed: ${(e as Error).message.replace(/\.$/, '')}.`,
    );
  }
  const r = pair.report;
  const exact = {
    metric: 'exact-match' as const,
    reference: r.exactMatch.tfjs,
    onnx: r.exactMatch.onnx,
    delta: r.exactMatch.onnx - r.exactMatch.tfjs,
  };
  return {
    path: pair.encoderPath,
    precision: req.precision,
    mode: 'encoder-decoder',
    trained: true,
    ok: r.ok,
    fileBytes:
      r.encoderBytes +
      r.decoderBytes +
      ('skipped' in r.withPast ? 0 : r.withPast.initBytes + r.withPast.stepBytes),
    maxAbsError: finite(r.maxAbsError),
    top1Agreement: r.agreement,
    top1On: 'held-out',
    latencyMs: null,
    failures: r.failures,
    judgedBy: 'task',
    note: `${pair.files.filter((f) => f.endsWith('.onnx')).join(', ')}. Top-1 agreement here is the share of ${r.sources} held-out sources the encoder and decoder decode greedily to exactly the tfjs model's output; max abs error is of the first step's logits. ${
      'skipped' in r.withPast
        ? `No decoder with a KV cache was written. ${r.withPast.skipped}`
        : `With the KV cache (decoder_model + decoder_with_past_model): ${pct(r.withPast.agreement)} of them decode the same, ${r.withPast.calls.step} of ${r.withPast.calls.init + r.withPast.calls.step} decoder calls from the cache.`
    }`,
    reference,
    task: {
      ...exact,
      task: typeof req.doc.meta?.task === 'string' ? req.doc.meta.task : 'seq2seq',
      data: `${r.sources} held-out sources, greedy decoding`,
      examples: r.sources,
      scored: r.sources,
      depth: null,
      metrics: [exact],
      top1Agreement: r.agreement,
    },
    taskSkipped: null,
    signature: onnxSignature(pair.encoder),
  };
}
