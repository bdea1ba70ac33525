import { parseCommand, type Out } from '../command.ts';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { OPSETS, PRECISIONS, type Opset, type Precision } from '../../onnx/emit.ts';
import { trainingSeed, type TaskCheck, type TaskMetric } from '../../onnx-runtime/task-metric.ts';
import type { VerifyThresholds } from '../../onnx-runtime/verdict.ts';
import type { VerifyReport } from '../../onnx-runtime/verify.ts';
import { parseDataArg } from '../../data/data-arg.ts';
import { loadDocument } from '../main.ts';
import { defaultExportPath, isFolder, loadRunDocument } from '../run-folder.ts';
import type { TokenizerInfo } from '../../onnx-runtime/hf-config.ts';
import type { ExportResult } from '../../onnx-runtime/export-model.ts';
import type { EncoderDecoderReport } from '../../onnx-runtime/export-encoder-decoder.ts';

export const EXPORT_USAGE = `Usage: trm export RUN|GRAPH [GRAPH] [options]

Writes a model folder a deployment uses on its own (Hugging Face layout: onnx/model.onnx,
or onnx/model_fp16|_int8|_quantized|_q4.onnx, config.json, tokenizer.json, README.md) and
verifies the model in onnxruntime against the tfjs model on held-out inputs; the verdict is
printed and saved beside the model as <model>.verify.json. RUN is a trained run folder or
step-NNNNNN folder (its graph, unless GRAPH is given); a GRAPH alone exports the
deterministic initial weights.

Options:
  --format F               onnx (default) | pytorch: a PyTorch project instead (model.py,
                           train.py, the training data and the initial or RUN's weights;
                           train it with python train.py or torchrun)
  --data SPEC              pytorch: the training data, as trm train's --data (default:
                           the document's meta.task)
  --steps N, --batch N     pytorch: override the document's training steps and batch
  --weights DIR            RUN given as a flag (then GRAPH is the only positional)
  --precision P            fp32 | fp16 | int8 | int8-weight | int4 (default fp32)
  --opset N                17 (widest support, default) | 23 (fused norms/attention/RoPE)
  --mode M                 full (fixed-depth model, default) | step (one supervision step)
                           | decode (language model with a KV cache, for trm generate)
                           | encoder-decoder (a trained RUN with cross-attention:
                           onnx/encoder.onnx + onnx/decoder.onnx, verified by greedy
                           decoding of held-out sources against the tfjs model)
  --out DIR                output folder (default: RUN/exports/<name>-<mode>, or
                           exports/<name>-<mode> for a GRAPH alone); a path ending in .onnx
                           writes that one file alone, with the Studio's own signature
  --tokenizer FILE         embed a tokenizer.json in the model's metadata
  --unroll                 unroll recursions instead of emitting ONNX Loops (larger file,
                           slower to load; sometimes faster at batch 1)
  --preset NAME            apply one of the document's presets first
  --backend NAME           tfjs backend for the reference run
  --merge-lora             a LoRA run's adapters folded into its base weights,
                           W' = W + (alpha/rank)·A·B, so the file is a plain model (default)
  --lora-only FILE         write a LoRA run's adapters alone, as FILE.safetensors (IR layout
                           A [in, r], B [r, out]; rank, alpha and targets in its metadata),
                           instead of a model

Task check (held-out data with targets, reference and export scored alike):
  --task-data SPEC         data to score on, as trm train's --data; default: the data the
                           weights were trained on, else the document's meta.task
  --task-examples N        held-out rows (default 32 text windows, 256 puzzles)
  --no-task                skip the task check

Verdict: a trained model's task metric decides when there is one; without one, the
outputs' relative error and top-1 agreement on random inputs decide; initial (untrained)
weights pass when their outputs are numerically close. The first failing criterion is named
and the model is written either way.
  --max-accuracy-drop P    fail when a task accuracy falls more than P points
                           (default 0.1 fp32, 1 fp16/int8/int8-weight, 3 int4)
  --max-perplexity-rise P  fail when the task perplexity rises more than P percent
                           (default 0.1 fp32, 2 fp16/int8/int8-weight, 5 int4)
  --max-top1-drop P        without a task metric, fail when top-1 agreement falls more than
                           P points below 100% (default 1, 10 int4)`;

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

function formatMetric(m: TaskMetric): string {
  if (m.metric === 'perplexity')
    return `perplexity ${m.reference.toFixed(3)} → ${m.onnx.toFixed(3)} (${m.delta >= 0 ? '+' : ''}${((m.onnx / m.reference - 1) * 100).toFixed(2)}%)`;
  const pts = m.delta * 100;
  return `${m.metric} ${(m.reference * 100).toFixed(2)}% → ${(m.onnx * 100).toFixed(2)}% (${pts >= 0 ? '+' : ''}${pts.toFixed(2)} pt)`;
}

/** The task check in one or two lines: what was scored, then each metric tfjs → onnx (Δ). */
export function formatTask(task: TaskCheck | null, skipped: string | null): string[] {
  if (!task) return [`task: none — ${skipped ?? 'not checked'}`];
  const depth =
    task.depth !== null ? `, ${task.depth} supervision steps through the step model` : '';
  return [
    `task ${task.task} on ${task.data}${depth} (tfjs → onnx):`,
    `  ${task.metrics.map(formatMetric).join(' · ')}`,
  ];
}

export function formatVerdict(report: VerifyReport): string[] {
  const lines = [`${'output'.padEnd(28)} ${'max abs err'.padStart(12)} ${'top-1'.padStart(11)}`];
  for (const o of report.outputs) {
    const top1 =
      o.top1Agreement !== undefined
        ? `${(o.top1Agreement * 100).toFixed(2)}%`
        : o.haltAgreement !== undefined
          ? `halt ${(o.haltAgreement * 100).toFixed(1)}%`
          : '—';
    lines.push(
      `${o.name.padEnd(28)} ${o.maxAbsError.toExponential(2).padStart(12)} ${top1.padStart(11)}`,
    );
  }
  const lat = report.latencyMs
    ? ` · onnxruntime latency: ${report.latencyMs.batch1.toFixed(2)} ms at batch 1, ${report.latencyMs.batch64.toFixed(2)} ms at batch 64`
    : '';
  lines.push(`file size ${formatBytes(report.fileBytes)}${lat}`);
  if (report.task)
    lines.push(
      `top-1 agreement on the held-out task inputs: ${(report.task.top1Agreement * 100).toFixed(2)}%`,
    );
  lines.push(...formatTask(report.task, report.taskSkipped));
  if (report.note) lines.push(`note: ${report.note}`);
  const judged =
    report.judgedBy === 'task'
      ? 'judged by the task'
      : report.judgedBy === 'outputs'
        ? 'judged by the outputs, as there is no task metric'
        : report.judgedBy === 'unverified'
          ? 'not verified'
          : 'judged by closeness';
  lines.push(
    report.ok
      ? `verdict: PASS (${report.precision}, ${judged}: ${report.criteria.join(', ')})`
      : `verdict: FAIL — ${report.failures[0] ?? ''} The model was written all the same.`,
  );
  return lines;
}

/** An encoder–decoder pair's check: greedy decoding of held-out sources, tfjs against onnx. */
export function formatPairVerdict(r: EncoderDecoderReport): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  return [
    `encoder ${formatBytes(r.encoderBytes)} · decoder ${formatBytes(r.decoderBytes)}`,
    `first-step logits max abs err ${r.maxAbsError.toExponential(2)}`,
    `greedy decoding of ${r.sources} held-out sources: the pair agrees with tfjs on ${pct(r.agreement)}`,
    `  exact match ${pct(r.exactMatch.tfjs)} (tfjs) → ${pct(r.exactMatch.onnx)} (onnx)`,
    ...r.mismatches.map(
      (m) => `  ${m.source}: tfjs ${m.tfjs || '(empty)'}, onnx ${m.onnx || '(empty)'}`,
    ),
    'skipped' in r.withPast
      ? `decoder with past (KV cache): not written. ${r.withPast.skipped}`
      : `decoder with past (KV cache; decoder_model ${formatBytes(r.withPast.initBytes)} · decoder_with_past_model ${formatBytes(r.withPast.stepBytes)}): agrees with tfjs on ${pct(r.withPast.agreement)}, exact match ${pct(r.withPast.exactMatch)}`,
    ...('skipped' in r.withPast ? [] : r.withPast.mismatches).map(
      (m) => `  ${m.source}: tfjs ${m.tfjs || '(empty)'}, with past ${m.onnx || '(empty)'}`,
    ),
    r.ok
      ? `verdict: PASS (${r.precision}, judged by greedy decoding of held-out sources)`
      : `verdict: FAIL — ${r.failures[0] ?? ''} The model was written all the same.`,
  ];
}

/** The export's options: each has a glossary entry (`trm explain opset`), which a test checks. */
export const EXPORT_OPTIONS = {
  weights: { type: 'string' },
  format: { type: 'string', default: 'onnx' },
  data: { type: 'string' },
  steps: { type: 'string' },
  batch: { type: 'string' },
  precision: { type: 'string', default: 'fp32' },
  opset: { type: 'string', default: '17' },
  mode: { type: 'string', default: 'full' },
  out: { type: 'string' },
  tokenizer: { type: 'string' },
  unroll: { type: 'boolean' },
  preset: { type: 'string' },
  backend: { type: 'string' },
  'task-data': { type: 'string' },
  'task-examples': { type: 'string' },
  'no-task': { type: 'boolean' },
  'max-accuracy-drop': { type: 'string' },
  'max-perplexity-rise': { type: 'string' },
  'max-top1-drop': { type: 'string' },
  'merge-lora': { type: 'boolean', default: true },
  'lora-only': { type: 'string' },
} as const;

export async function exportCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(argv, EXPORT_OPTIONS, EXPORT_USAGE, out);
  if (typeof args === 'number') return args;
  const v = args.values;
  // A run folder first, as for eval, generate and solve; `--weights DIR` names it the older way.
  const first = args.positionals[0];
  const run = v.weights ?? (first !== undefined && isFolder(first) ? first : undefined);
  const file = v.weights || run === undefined ? first : args.positionals[1];
  if (!file && !run) {
    out.error(`trm export: missing RUN or GRAPH.\n\n${EXPORT_USAGE}`);
    return 2;
  }
  if (v.format !== 'onnx' && v.format !== 'pytorch') {
    out.error(`trm export: unknown format "${v.format}". Use onnx or pytorch.`);
    return 2;
  }
  if (v['lora-only'] !== undefined) {
    if (!run) {
      out.error(
        'trm export: --lora-only needs a RUN trained with --lora; a GRAPH has no adapters.',
      );
      return 2;
    }
    return exportAdapters(run, v['lora-only'], out);
  }
  if (v.format === 'pytorch') {
    const doc = file ? await loadDocument(file, v.preset, out) : await loadRunDocument(run!, out);
    if (!doc) return 1;
    const { exportPytorch } = await import('./export-pytorch.ts');
    return exportPytorch(
      {
        doc,
        ...(run ? { run } : {}),
        target: v.out ?? defaultExportPath(doc, run, 'pytorch'),
        ...(v.data !== undefined ? { data: v.data } : {}),
        ...(v.steps !== undefined ? { steps: v.steps } : {}),
        ...(v.batch !== undefined ? { batch: v.batch } : {}),
      },
      out,
    );
  }
  const precision = v.precision as Precision;
  if (!PRECISIONS.includes(precision)) {
    out.error(
      `trm export: unknown precision "${v.precision}". Use one of ${PRECISIONS.join(', ')}.`,
    );
    return 2;
  }
  const opset = Number(v.opset) as Opset;
  if (!OPSETS.includes(opset)) {
    out.error(`trm export: opset ${v.opset} is not offered. Use 17 or 23.`);
    return 2;
  }
  if (
    v.mode !== 'full' &&
    v.mode !== 'step' &&
    v.mode !== 'decode' &&
    v.mode !== 'encoder-decoder'
  ) {
    out.error(`trm export: unknown mode "${v.mode}". Use full, step, decode or encoder-decoder.`);
    return 2;
  }
  const thresholds: VerifyThresholds = {};
  for (const [flag, key] of [
    ['max-accuracy-drop', 'accuracyDrop'],
    ['max-perplexity-rise', 'perplexityRise'],
    ['max-top1-drop', 'top1Drop'],
  ] as const) {
    const text = v[flag];
    if (text === undefined) continue;
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || n < 0) {
      out.error(
        `trm export: --${flag} must be a number ≥ 0 (${flag === 'max-perplexity-rise' ? 'percent' : 'points'}), not "${text}".`,
      );
      return 2;
    }
    thresholds[key] = n / 100;
  }
  const examples = v['task-examples'] === undefined ? undefined : Number(v['task-examples']);
  if (examples !== undefined && !(Number.isInteger(examples) && examples >= 1)) {
    out.error(
      `trm export: --task-examples must be a whole number ≥ 1, not "${v['task-examples']}".`,
    );
    return 2;
  }
  const doc = file ? await loadDocument(file, v.preset, out) : await loadRunDocument(run!, out);
  if (!doc) return 1;
  let taskData: ReturnType<typeof parseDataArg> | undefined;
  let taskSeed: number | undefined;
  const metadata: Record<string, string> = {};
  let weights: Map<string, Float32Array> | undefined;
  let training: { config?: unknown; step?: number } | undefined;
  const target = v.out ?? defaultExportPath(doc, run, v.mode);
  const single = /\.onnx$/i.test(target);
  try {
    // Checked before the export and its verification run, not when the file is written.
    const { probeWritable } = await import('../../io/durable-write.ts');
    await probeWritable(single ? dirname(resolve(target)) : resolve(target), 'the ONNX model');
    if (run) {
      const { divergedWeights, readCheckpointWeights } =
        await import('../../onnx-runtime/checkpoint.ts');
      const ckpt = await readCheckpointWeights(run);
      const diverged = divergedWeights(
        ckpt,
        'export an earlier step-NNNNNN folder of the run, or train again with a lower learning rate',
      );
      if (diverged) {
        out.error(`verdict: FAIL — ${diverged}`);
        return 1;
      }
      weights = ckpt.values;
      if (ckpt.lora)
        out.log(
          `LoRA: ${ckpt.lora.adapters.size / 2} adapters (rank ${ckpt.lora.config.rank}, alpha ${ckpt.lora.config.alpha}) merged into the base weights.`,
        );
      training = {
        ...(ckpt.config !== undefined ? { config: ckpt.config } : {}),
        ...(ckpt.step !== undefined ? { step: ckpt.step } : {}),
      };
      if (ckpt.config !== undefined) metadata['trm.training'] = JSON.stringify(ckpt.config);
      if (ckpt.dataSpec !== undefined) metadata['trm.data'] = JSON.stringify(ckpt.dataSpec);
      // Scored on what the run trained on, split with its seed: the run's own held-out data.
      if (ckpt.dataSpec) taskData = ckpt.dataSpec as ReturnType<typeof parseDataArg>;
      taskSeed = trainingSeed(ckpt.config);
      out.log(`weights: ${run} (${ckpt.group}, ${ckpt.values.size} tensors)`);
    }
    if (v['task-data']) taskData = parseDataArg(v['task-data'], doc);
    let tokenizer: TokenizerInfo | undefined;
    if (v.tokenizer) {
      metadata['trm.tokenizer'] = await readFile(v.tokenizer, 'utf8');
      tokenizer = { kind: 'bpe', json: JSON.parse(metadata['trm.tokenizer']) };
    }
    const { selectBackend } = await import('../../runtime/backend.ts');
    const backend = await selectBackend(v.backend);
    if (v.mode === 'encoder-decoder') {
      if (!run || !weights || single) {
        out.error(
          `trm export: --mode encoder-decoder writes a model folder from a trained RUN (its held-out sources check the pair); ${!run ? 'give the run folder' : 'give --out a folder, not a .onnx file'}.`,
        );
        return 2;
      }
      const { exportEncoderDecoder } = await import('../../onnx-runtime/export-encoder-decoder.ts');
      const pair = await exportEncoderDecoder({
        doc,
        run,
        weights,
        precision,
        opset,
        dir: target,
        metadata,
        ...(examples !== undefined ? { examples } : {}),
        ...(thresholds.accuracyDrop !== undefined ? { accuracyDrop: thresholds.accuracyDrop } : {}),
      });
      out.log(
        `exported ${target} (${pair.files.join(', ')}; opset ${opset}, ${precision}, encoder-decoder; reference: tfjs ${backend.active})`,
      );
      for (const line of formatPairVerdict(pair.report)) out.log(line);
      return pair.report.ok ? 0 : 1;
    }
    const mode: 'full' | 'step' | 'decode' = v.mode;
    const request = {
      doc,
      precision,
      opset,
      mode,
      metadata,
      loops: !v.unroll,
      task: v['no-task']
        ? (false as const)
        : {
            ...(taskData ? { data: taskData } : {}),
            ...(taskSeed !== undefined ? { seed: taskSeed } : {}),
            ...(examples !== undefined ? { examples } : {}),
          },
      thresholds,
      ...(weights ? { weights } : {}),
    };
    let result: ExportResult;
    let written = target;
    if (single) {
      const { exportModel } = await import('../../onnx-runtime/export-model.ts');
      result = await exportModel({ ...request, out: target });
    } else {
      const { exportFolder } = await import('../../onnx-runtime/export-folder.ts');
      const folder = await exportFolder({
        ...request,
        dir: target,
        data: {
          ...(taskData ? { spec: taskData } : {}),
          ...(taskSeed !== undefined ? { seed: taskSeed } : {}),
        },
        ...(tokenizer ? { tokenizer } : {}),
        ...(training ? { training } : {}),
      });
      result = folder;
      written = `${target} (${relative(target, folder.modelPath)}, ${folder.files.filter((f) => !f.startsWith('onnx/')).join(', ')})`;
    }
    out.log(
      `exported ${written} (opset ${opset}, ${precision}, ${v.mode}; reference: tfjs ${backend.active})`,
    );
    for (const line of formatVerdict(result.report)) out.log(line);
    return result.report.ok ? 0 : 1;
  } catch (e) {
    out.error(`trm export: ${(e as Error).message}`);
    return 1;
  }
}

/** `--lora-only FILE`: a LoRA run's adapters alone, as safetensors (see lora-adapters.ts). */
async function exportAdapters(run: string, file: string, out: Out): Promise<number> {
  try {
    const { readCheckpointWeights } = await import('../../onnx-runtime/checkpoint.ts');
    const { encodeAdapterFile } = await import('../../onnx-runtime/lora-adapters.ts');
    const { writeFileAtomic } = await import('../../io/durable-write.ts');
    const ckpt = await readCheckpointWeights(run);
    if (!ckpt.lora) {
      out.error(
        `trm export: ${run} was not trained with LoRA, so it has no adapters to write; export the model itself (without --lora-only).`,
      );
      return 1;
    }
    const bytes = encodeAdapterFile({ lora: ckpt.lora.config, adapters: ckpt.lora.adapters });
    await writeFileAtomic(file, bytes);
    out.log(
      `wrote ${file}: ${ckpt.lora.adapters.size / 2} LoRA adapters (rank ${ckpt.lora.config.rank}, alpha ${ckpt.lora.config.alpha}), ${formatBytes(bytes.length)}`,
    );
    return 0;
  } catch (e) {
    out.error(`trm export: ${(e as Error).message}`);
    return 1;
  }
}
