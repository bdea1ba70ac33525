import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  syncDir,
  writeDurably,
  writeError,
  writeFileAtomic,
  writeSeam,
} from '../io/durable-write.ts';
import { sha256Hex, verifyBlob } from '../io/checkpoint-integrity.ts';
import { blobPath, resolveCheckpointDir } from '../io/checkpoint-files.ts';
import { LocalName } from '../io/confine.ts';
import { parseJsonText } from '../graph/json-text.ts';
import { ImportedFrom } from '../contract/api.ts';
import { EvalReport, InitFromReport, StepRecord } from '../contract/events.ts';

/**
 * Checkpoints: one folder per saved step (`step-000120/`) holding `checkpoint.json` and
 * float32 blobs, plus `latest.json` naming the newest. Every write is atomic: files go to a
 * temporary folder beside the final one, are fsynced, and the folder is renamed into place;
 * `latest.json` is replaced the same way (temp file + fsync + rename), so a crash at any
 * moment leaves either the old or the new checkpoint, never a torn one. Each blob's sha-256 is
 * recorded in `checkpoint.json` and checked when the checkpoint is read.
 */

export const TensorEntry = z.strictObject({
  name: z.string(),
  shape: z.array(z.number().int().min(0)),
  /** Byte offset of the float32 values in the blob. */
  offset: z.number().int().min(0),
});
export type TensorEntry = z.infer<typeof TensorEntry>;

const Blob = z.strictObject({
  file: LocalName,
  manifest: z.array(TensorEntry),
  /** sha-256 of the file, checked on every load; absent in checkpoints written before it. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

/** How a run was pruned: its source and the share of weights (or units) removed. */
export const PruneRecord = z.strictObject({
  /** The checkpoint pruned. */
  from: z.string(),
  step: z.number().int().min(0),
  sparsity: z.number().min(0).max(1),
  /** Absent: magnitude pruning of single weights (the `mask` group keeps them zero). */
  structured: z.enum(['heads', 'ffn']).optional(),
  global: z.boolean(),
  /** Zeroed share of the prunable weights (magnitude), or removed share of units (structured). */
  reached: z.number().min(0).max(1),
  paramsBefore: z.number().int().min(0),
  paramsAfter: z.number().int().min(0),
});
export type PruneRecord = z.infer<typeof PruneRecord>;

export const CheckpointMeta = z.strictObject({
  format: z.literal('trm-checkpoint'),
  version: z.literal(1),
  /** Optimizer steps completed. */
  step: z.number().int().min(0),
  createdAt: z.string(),
  /**
   * Where the data stream resumes: the stream example in each slot of the batch, the
   * supervision steps it has had, and the next example to load. Checkpoints written before
   * per-example deep supervision hold {nextBatch, supervisionStep} (the whole batch at one step).
   */
  data: z.union([
    z.strictObject({
      examples: z.array(z.number().int().min(0)).min(1),
      counts: z.array(z.number().int().min(0)).min(1),
      next: z.number().int().min(0),
    }),
    z.strictObject({
      nextBatch: z.number().int().min(0),
      supervisionStep: z.number().int().min(0),
    }),
  ]),
  /** Dropout masks are seeded from (seed, step), so the seed and step are the RNG state. */
  rng: z.strictObject({ seed: z.number().int() }),
  config: z.record(z.string(), z.unknown()),
  document: z.unknown(),
  dataSpec: z.unknown(),
  metrics: z.strictObject({
    steps: z.array(StepRecord),
    evals: z.array(EvalReport),
  }),
  /** The run and checkpoint this run's weights started from (a fine-tuned run), kept on resume. */
  initFrom: InitFromReport.optional(),
  /** Set when another engine trained these weights and `trm import` converted them. */
  importedFrom: ImportedFrom.optional(),
  /** The run this one was pruned from and how (`trm prune`), kept on resume. */
  pruned: PruneRecord.optional(),
  /** Tensor groups: model weights, optimizer moments, EMA weights, carried TRM state of every slot. */
  blobs: z.record(z.string(), Blob),
});
export type CheckpointMeta = z.infer<typeof CheckpointMeta>;

/**
 * Tensors → manifest + one little-endian float32 blob (tfjs holds float32 in host order), read
 * asynchronously, as a device backend (WebGPU in Node, which has no synchronous read) needs.
 */
export async function encodeTensorsAsync(
  tensors: Readonly<Record<string, tf.Tensor>>,
): Promise<{ manifest: TensorEntry[]; data: Uint8Array }> {
  const names = Object.keys(tensors);
  const values = await Promise.all(names.map((n) => tensors[n]!.data() as Promise<Float32Array>));
  return packTensors(
    names.map((n) => tensors[n]!),
    names,
    values,
  );
}

function packTensors(
  tensors: readonly tf.Tensor[],
  names: readonly string[],
  values: readonly Float32Array[],
): { manifest: TensorEntry[]; data: Uint8Array } {
  const total = tensors.reduce((n, t) => n + t.size, 0);
  const data = new Uint8Array(total * 4);
  const floats = new Float32Array(data.buffer);
  const manifest: TensorEntry[] = [];
  let at = 0;
  tensors.forEach((t, i) => {
    floats.set(values[i]!, at);
    manifest.push({ name: names[i]!, shape: [...t.shape], offset: at * 4 });
    at += t.size;
  });
  return { manifest, data };
}

export function decodeTensors(
  manifest: readonly TensorEntry[],
  data: Uint8Array,
): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const e of manifest) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset % 4 !== 0 || e.offset + 4 * n > data.byteLength) {
      throw new Error(
        `Checkpoint tensor "${e.name}" lies outside its data file: the file is damaged.`,
      );
    }
    const values = new Float32Array(n);
    values.set(
      new Float32Array(
        data.buffer.slice(data.byteOffset + e.offset, data.byteOffset + e.offset + 4 * n),
      ),
    );
    out[e.name] = tf.tensor(values, e.shape);
  }
  return out;
}

export const checkpointName = (step: number) => `step-${String(step).padStart(6, '0')}`;

/**
 * Write a checkpoint for `meta.step` under `runDir` atomically, point `latest.json` at it,
 * and delete all but the newest `keep` checkpoints. Returns the checkpoint's folder. When a
 * write fails (a full disk, a read-only folder) the temporary folder is removed, the
 * previous checkpoint and `latest.json` stay as they were, and the error names the folder.
 */
export async function writeCheckpoint(
  runDir: string,
  meta: Omit<CheckpointMeta, 'blobs'>,
  groups: Readonly<Record<string, { manifest: TensorEntry[]; data: Uint8Array }>>,
  keep: number,
): Promise<string> {
  const name = checkpointName(meta.step);
  const final = join(runDir, name);
  const tmp = join(runDir, `.tmp-${name}-${randomBytes(4).toString('hex')}`);
  const what = `checkpoint ${name}`;
  try {
    await writeSeam.mkdir(runDir);
    await writeSeam.mkdir(tmp);
    const blobs: CheckpointMeta['blobs'] = {};
    for (const [group, { manifest, data }] of Object.entries(groups)) {
      const file = `${group}.bin`;
      await writeDurably(join(tmp, file), data);
      blobs[group] = { file, manifest, sha256: sha256Hex(data) };
    }
    const full: CheckpointMeta = { ...meta, blobs };
    await writeDurably(join(tmp, 'checkpoint.json'), JSON.stringify(full));
    await syncDir(tmp);
    await moveIntoPlace(runDir, tmp, final);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw checkpointError(e, final, what);
  }
  try {
    await writeFileAtomic(
      join(runDir, 'latest.json'),
      JSON.stringify({ checkpoint: name, step: meta.step }),
      `the pointer to ${what}`,
    );
  } catch (e) {
    throw checkpointError(e, final, what);
  }
  await prune(runDir, keep, name);
  return final;
}

/** Rename the finished temp folder to `final`, replacing (not merging) one already there. */
async function moveIntoPlace(runDir: string, tmp: string, final: string): Promise<void> {
  if (!(await exists(final))) return writeSeam.rename(tmp, final);
  // A checkpoint of the same step (a resumed run re-saving it) is replaced; if the swap
  // fails halfway the old one goes back, so latest.json never names a missing folder.
  const old = join(runDir, `.old-${basename(final)}-${randomBytes(4).toString('hex')}`);
  await writeSeam.rename(final, old);
  try {
    await writeSeam.rename(tmp, final);
  } catch (e) {
    await rename(old, final).catch(() => undefined);
    throw e;
  }
  await rm(old, { recursive: true, force: true });
}

/** A failed checkpoint write as a sentence naming the run folder and what still loads. */
function checkpointError(e: unknown, final: string, what: string): Error {
  const err = writeError(e, final, what);
  return new Error(
    `${err.message} The run's checkpoints in ${dirname(final)} are as they were before this write; resume from them once there is room.`,
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function prune(runDir: string, keep: number, latest: string): Promise<void> {
  const names = (await readdir(runDir)).filter((n) => /^step-\d+$/.test(n)).sort();
  const doomed = names.slice(0, Math.max(0, names.length - keep)).filter((n) => n !== latest);
  for (const n of doomed) await rm(join(runDir, n), { recursive: true, force: true });
}

export interface LoadedCheckpoint {
  dir: string;
  meta: CheckpointMeta;
  /** Decoded tensor groups; the caller disposes them. */
  groups: Record<string, Record<string, tf.Tensor>>;
  /** Raw bytes of each group, for loaders that take the encoded form. */
  raw: Record<string, { manifest: TensorEntry[]; data: Uint8Array }>;
}

export async function readCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const dir = await resolveCheckpointDir(path);
  let parsed: unknown;
  try {
    parsed = parseJsonText(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
  } catch (e) {
    throw new Error(`Cannot read ${join(dir, 'checkpoint.json')}: ${(e as Error).message}.`);
  }
  const meta = CheckpointMeta.safeParse(parsed);
  if (!meta.success) {
    throw new Error(
      `${join(dir, 'checkpoint.json')} is not a TRM Studio checkpoint (${meta.error.issues[0]!.message} at ${meta.error.issues[0]!.path.join('.')}).`,
    );
  }
  const groups: LoadedCheckpoint['groups'] = {};
  const raw: LoadedCheckpoint['raw'] = {};
  // Every blob is checked before any is decoded, so a damaged one leaks no tensors.
  for (const [group, blob] of Object.entries(meta.data.blobs)) {
    const data = new Uint8Array(await readFile(await blobPath(dir, blob.file)));
    await verifyBlob(dir, blob.file, data, blob.sha256, meta.data.step);
    raw[group] = { manifest: blob.manifest, data };
  }
  for (const [group, { manifest, data }] of Object.entries(raw)) {
    groups[group] = decodeTensors(manifest, data);
  }
  return { dir, meta: meta.data, groups, raw };
}

export function disposeCheckpoint(c: LoadedCheckpoint): void {
  for (const g of Object.values(c.groups)) tf.dispose(Object.values(g));
}
