import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { IrProgram } from '../graph/ir.ts';
import { writeFileAtomic } from '../io/durable-write.ts';
import { hfPlan, withHfSignature } from '../onnx/hf-signature.ts';
import { exportModel, type ExportRequest, type ExportResult } from './export-model.ts';
import {
  generationConfig,
  modelConfig,
  PRECISION_FILES,
  tokenizerConfig,
  tokenizerJson,
  type TokenizerInfo,
} from './hf-config.ts';
import { modelCard } from './model-card.ts';
import { taskSource } from './task-metric.ts';
import type { DataSpec } from '../data/spec.ts';

/*
 * An export a deployment uses on its own: a Hugging Face model folder.
 *   onnx/model{_fp16,_int8,_quantized,_q4}.onnx   the model, HF signature (hf-signature.ts)
 *   onnx/model….verify.json                        the verification report
 *   config.json, generation_config.json            vocab, context, family, puzzle encoding
 *   tokenizer.json, tokenizer_config.json          HF tokenizers format (text models)
 *   README.md                                      the model card
 * Exporting another precision into the same folder adds its file beside the others.
 */

export interface FolderRequest extends Omit<ExportRequest, 'out'> {
  dir: string;
  /** A tokenizer.json given by the user (`--tokenizer`), else the training data's. */
  tokenizer?: TokenizerInfo;
  /**
   * The data the model was trained on and the run's seed (its tokenizer, puzzle encoding);
   * default: the task check's, else the document's meta.task.
   */
  data?: { spec?: DataSpec; seed?: number };
  /** The run's training config and optimizer step, for the model card. */
  training?: { config?: unknown; step?: number };
}

export interface FolderResult extends ExportResult {
  dir: string;
  /** The ONNX file written, inside `dir`. */
  modelPath: string;
  /** Every file written, relative to `dir`. */
  files: string[];
}

/** A decode program's caches: its `past` inputs and `present` outputs, paired in order. */
function cacheOf(program: IrProgram) {
  const past = program.inputs.filter((i) => i.role === 'past');
  const present = program.outputs.filter((o) => o.role === 'present');
  const entries = [];
  for (let i = 0; i + 1 < past.length; i += 2)
    entries.push({
      pastKey: past[i]!.name,
      pastValue: past[i + 1]!.name,
      presentKey: present[i]!.name,
      presentValue: present[i + 1]!.name,
      width: past[i]!.shape[2] as number,
    });
  return entries;
}

function tokenizerOf(describe: {
  vocab?: string[];
  tokenizer?: unknown;
}): TokenizerInfo | undefined {
  const t = describe.tokenizer as { type?: unknown; model?: unknown } | undefined;
  if (t?.type === 'char') return { kind: 'char', vocab: describe.vocab ?? [] };
  if (t?.model) return { kind: 'bpe', json: t };
  return undefined;
}

export async function exportFolder(req: FolderRequest): Promise<FolderResult> {
  const task = req.task === false ? undefined : req.task;
  const source = await taskSource(
    req.doc,
    req.data?.spec ?? (task?.data as DataSpec | undefined),
    req.data?.seed ?? task?.seed ?? 0,
  );
  const described = source?.describe();
  const tokenizer =
    req.tokenizer ??
    (source && source.kind !== 'cells' && described ? tokenizerOf(described) : undefined);
  // The tokenizer travels inside the model too, so `trm generate` on the file alone has it.
  const metadata = { ...req.metadata };
  if (described?.tokenizer !== undefined && source?.kind !== 'cells' && !metadata['trm.tokenizer'])
    metadata['trm.tokenizer'] = JSON.stringify(described.tokenizer);
  const result = await exportModel({ ...req, metadata });
  const { program } = result;
  const cache = cacheOf(program);
  const plan = hfPlan(program, cache);
  const bytes = plan ? withHfSignature(result.bytes, plan) : result.bytes;
  // The size reported is the file's, signature edges included (a few hundred bytes).
  const report = { ...result.report, fileBytes: bytes.length };
  const tokenInput = program.inputs.find((i) => i.role === 'tokens');
  const logits = program.outputs.find((o) => o.role === 'logits');
  const vocab = logits?.shape[logits.shape.length - 1];
  const parameters = [...program.params.values()].reduce(
    (n, p) => n + p.shape.reduce((a, d) => a * d, 1),
    0,
  );
  const config = modelConfig({
    doc: req.doc,
    program,
    mode: req.mode ?? 'full',
    precision: req.precision,
    cacheEntries: cache.length,
    parameters,
    ...(source
      ? {
          data: {
            kind: source.kind,
            name: source.name,
            ...(described?.vocab && source.kind === 'cells' ? { vocab: described.vocab } : {}),
            ...(described?.encoding ? { encoding: described.encoding } : {}),
            ...((req.data?.spec ?? task?.data) ? { spec: req.data?.spec ?? task?.data } : {}),
          },
        }
      : {}),
  });
  const context = (config.n_positions ?? config.max_position_embeddings) as number;
  const model = PRECISION_FILES[req.precision].file;
  const files: Record<string, string | Uint8Array> = {
    [model]: bytes,
    [model.replace(/\.onnx$/, '.verify.json')]: JSON.stringify(report, null, 2),
    'config.json': JSON.stringify(config, null, 2),
  };
  const isLm = !!tokenInput && source?.kind !== 'cells' && !program.supervision;
  if (isLm) files['generation_config.json'] = JSON.stringify(generationConfig(context), null, 2);
  if (tokenizer) {
    files['tokenizer.json'] = JSON.stringify(
      tokenizerJson(tokenizer, typeof vocab === 'number' ? vocab : 0),
    );
    files['tokenizer_config.json'] = JSON.stringify(tokenizerConfig(tokenizer, context), null, 2);
  }
  files['README.md'] = modelCard({
    doc: req.doc,
    config,
    report,
    precision: req.precision,
    model,
    parameters,
    hasTokenizer: !!tokenizer,
    isLm,
    ...(req.training ? { training: req.training } : {}),
  });
  await mkdir(join(req.dir, 'onnx'), { recursive: true });
  for (const [name, data] of Object.entries(files))
    await writeFileAtomic(join(req.dir, name), data, name);
  return {
    ...result,
    bytes,
    report,
    dir: req.dir,
    modelPath: join(req.dir, model),
    files: Object.keys(files),
  };
}
