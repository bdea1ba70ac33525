import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { blobPath, followLatest } from '../io/checkpoint-files.ts';
import { parseJsonText } from '../io/json-text.ts';

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
  config?: unknown;
  dataSpec?: unknown;
  document?: unknown;
  blobs?: Record<string, { file: string; manifest: Entry[] }>;
}

export interface CheckpointWeights {
  values: Map<string, Float32Array>;
  /** The tensor group the values came from (EMA weights when the run kept them). */
  group: string;
  config?: unknown;
  dataSpec?: unknown;
}

/** Groups tried in order: EMA weights are what a TRM is evaluated with. */
const WEIGHT_GROUPS = ['ema', 'weights', 'params', 'model'];

async function checkpointDir(path: string): Promise<string> {
  if ((await stat(join(path, 'checkpoint.json')).catch(() => null))?.isFile()) return path;
  if (!(await stat(join(path, 'latest.json')).catch(() => null))) {
    throw new Error(
      `${path} holds no checkpoint (neither checkpoint.json nor latest.json). Pass a run folder written by \`trm train --out\` or one of its step-NNNNNN folders.`,
    );
  }
  return followLatest(path);
}

export async function readCheckpointWeights(path: string): Promise<CheckpointWeights> {
  const dir = await checkpointDir(path);
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
  const blob = meta.blobs[group] as { file: string; manifest: Entry[] };
  const data = new Uint8Array(await readFile(await blobPath(dir, blob.file)));
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
  return { values, group, config: meta.config, dataSpec: meta.dataSpec };
}
