import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyBlob } from '../io/checkpoint-integrity.ts';
import { blobPath, resolveCheckpointDir } from '../io/checkpoint-files.ts';
import { parseJsonText } from '../graph/json-text.ts';
import { adapterValues, LoraConfig, mergeLora } from '../graph/lora.ts';

/**
 * Reads model weights from a trainer checkpoint (a `step-NNNNNN/` folder holding
 * `checkpoint.json` + float32 blobs, or a run folder whose `latest.json` names one). Only the
 * fields an export needs are read, so this stays independent of the trainer's code.
 */

interface Entry {
  name: string;
  shape: number[];
  offset: number;
}

interface CheckpointJson {
  format?: string;
  step?: unknown;
  config?: unknown;
  dataSpec?: unknown;
  document?: unknown;
  blobs?: Record<string, { file: string; manifest: Entry[]; sha256?: string }>;
}

export interface CheckpointWeights {
  values: Map<string, Float32Array>;
  /** The tensor group the values came from (EMA weights when the run kept them). */
  group: string;
  /** The optimizer step the checkpoint was saved at, when it records one. */
  step?: number;
  config?: unknown;
  dataSpec?: unknown;
  /**
   * A LoRA run: its settings and its adapters as trained. `values` then holds the base
   * weights with the adapters merged in (W + (α/r)·A·B) and no adapter, so every export
   * sees a plain model of the graph.
   */
  lora?: { config: LoraConfig; adapters: Map<string, Float32Array> };
}

/** Groups tried in order: EMA weights are what a TRM is evaluated with. */
const WEIGHT_GROUPS = ['ema', 'weights', 'params', 'model'];

/** The graph document a checkpoint (or a run folder's latest one) was trained from. */
export async function readCheckpointDocument(path: string): Promise<unknown> {
  const file = join(await resolveCheckpointDir(path), 'checkpoint.json');
  let meta: CheckpointJson;
  try {
    meta = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`Cannot read ${file}: ${(e as Error).message}.`);
  }
  if (meta.document === undefined)
    throw new Error(`${file} records no graph document; pass the graph file as well.`);
  return meta.document;
}

export async function readCheckpointWeights(path: string): Promise<CheckpointWeights> {
  const dir = await resolveCheckpointDir(path);
  const file = join(dir, 'checkpoint.json');
  let meta: CheckpointJson;
  try {
    meta = parseJsonText(await readFile(file, 'utf8')) as CheckpointJson;
  } catch (e) {
    throw new Error(`Cannot read ${file}: ${(e as Error).message}.`);
  }
  if (meta.format !== 'trm-checkpoint' || !meta.blobs)
    throw new Error(
      `${file} is not a TRM Studio checkpoint; pass a folder written by \`trm train\`.`,
    );
  const group = WEIGHT_GROUPS.find((g) => meta.blobs?.[g]);
  if (!group)
    throw new Error(
      `${file} has no model weights (groups: ${Object.keys(meta.blobs).join(', ') || 'none'}).`,
    );
  const blob = meta.blobs[group]!;
  const data = new Uint8Array(await readFile(await blobPath(dir, blob.file)));
  await verifyBlob(
    dir,
    blob.file,
    data,
    blob.sha256,
    typeof meta.step === 'number' ? meta.step : 0,
  );
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const values = new Map<string, Float32Array>();
  for (const e of blob.manifest) {
    const n = e.shape.reduce((a, d) => a * d, 1);
    if (e.offset + 4 * n > data.byteLength)
      throw new Error(`Weight "${e.name}" lies outside ${blob.file}: the checkpoint is damaged.`);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(e.offset + 4 * i, true);
    values.set(e.name, out);
  }
  const lora = loraOf(meta.config, file);
  return {
    values: lora ? mergeLora(values, lora) : values,
    ...(lora ? { lora: { config: lora, adapters: adapterValues(values) } } : {}),
    group,
    ...(typeof meta.step === 'number' ? { step: meta.step } : {}),
    config: meta.config,
    dataSpec: meta.dataSpec,
  };
}

/** The LoRA settings a checkpoint's config records, checked; undefined for a plain run. */
function loraOf(config: unknown, file: string): LoraConfig | undefined {
  const raw = (config as { lora?: unknown } | undefined)?.lora;
  if (raw === undefined) return undefined;
  const parsed = LoraConfig.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `${file} records LoRA settings that are not valid: ${parsed.error.issues[0]!.message}.`,
    );
  return parsed.data;
}

/**
 * A sentence when the weights hold NaN or ±Infinity (the run diverged), which no export can
 * reproduce or verify; `next` is the step the caller offers. Undefined when all are finite.
 */
export function divergedWeights(ckpt: CheckpointWeights, next: string): string | undefined {
  for (const [name, values] of ckpt.values) {
    if (values.every(Number.isFinite)) continue;
    const when = ckpt.step !== undefined ? ` by step ${ckpt.step}, when it was saved` : '';
    return `The checkpoint's weights hold NaN or Infinity ("${name}" among them): training had diverged${when}. Nothing was exported; ${next}.`;
  }
  return undefined;
}
