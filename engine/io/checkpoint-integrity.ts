import { blobPath } from './checkpoint-files.ts';
import { parseJsonText } from '../graph/json-text.ts';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Checkpoint integrity: every blob of a checkpoint has its sha-256 recorded in
 * `checkpoint.json` when it is written, and every loader checks it, so flipped bytes are
 * refused with a sentence instead of loading as garbage weights. Checkpoints written before
 * hashes were recorded carry none and load unchecked. No tfjs here: the service lists runs
 * and the ONNX exporter reads weights without the trainer.
 */

export const sha256Hex = (data: Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');

const STEP_FOLDER = /^step-(\d+)$/;

/** `trm train --resume DIR`, quoted for a POSIX shell so it works as printed (spaces, quotes). */
export function resumeCommand(dir: string): string {
  const arg = /^[\w./:@%+=,-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, `'\\''`)}'`;
  return `trm train --resume ${arg}`;
}

/** A checkpoint's blob files and their recorded hashes, read loosely (no tensor decoding). */
interface LooseMeta {
  step?: unknown;
  blobs?: Record<string, { file?: unknown; sha256?: unknown }>;
}

/**
 * Why the checkpoint folder `dir` cannot be used (a sentence), or null when its
 * `checkpoint.json` reads and every blob matches its recorded hash.
 */
export async function checkpointProblem(dir: string): Promise<string | null> {
  let meta: LooseMeta;
  try {
    meta = parseJsonText(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as LooseMeta;
  } catch {
    return `${join(dir, 'checkpoint.json')} is missing or damaged.`;
  }
  if (typeof meta.blobs !== 'object' || meta.blobs === null) {
    return `${join(dir, 'checkpoint.json')} lists no data files.`;
  }
  for (const blob of Object.values(meta.blobs)) {
    if (typeof blob.file !== 'string') return `${join(dir, 'checkpoint.json')} is damaged.`;
    let data: Uint8Array;
    try {
      // A planted name (`../…`) is refused by blobPath before anything is read.
      data = new Uint8Array(await readFile(await blobPath(dir, blob.file)));
    } catch {
      return `${join(dir, blob.file)} is missing, or is not a file inside its checkpoint folder.`;
    }
    if (typeof blob.sha256 === 'string' && sha256Hex(data) !== blob.sha256) {
      return `${join(dir, blob.file)} does not match its recorded hash (the file is damaged).`;
    }
  }
  return null;
}

/** The step-NNNNNN folders of a run folder, newest first. */
export async function checkpointFolders(runDir: string): Promise<string[]> {
  const names = await readdir(runDir).catch(() => [] as string[]);
  return names
    .filter((n) => STEP_FOLDER.test(n))
    .sort()
    .reverse()
    .map((n) => join(runDir, n));
}

/** The newest checkpoint in `runDir` that reads and matches its hashes, older than `before`. */
export async function newestIntact(
  runDir: string,
  before = Infinity,
): Promise<{ dir: string; step: number } | null> {
  for (const dir of await checkpointFolders(runDir)) {
    const step = Number(STEP_FOLDER.exec(basename(dir))![1]);
    if (step >= before) continue;
    if ((await checkpointProblem(dir)) === null) return { dir, step };
  }
  return null;
}

/**
 * Check `data` (the blob `file` of the checkpoint `dir`, written at `step`) against the hash
 * recorded for it; a mismatch throws a sentence naming the file and the step and pointing to
 * the newest intact checkpoint before it.
 */
export async function verifyBlob(
  dir: string,
  file: string,
  data: Uint8Array,
  recorded: string | undefined,
  step: number,
): Promise<void> {
  if (recorded === undefined || sha256Hex(data) === recorded) return;
  const previous = await newestIntact(dirname(dir), step);
  throw new Error(
    `${join(dir, file)} does not match its recorded hash (the file is damaged), so the checkpoint of step ${step} cannot be used; ` +
      (previous
        ? `resume from ${basename(previous.dir)} with \`${resumeCommand(previous.dir)}\`, or pick that checkpoint for export, eval or the playground.`
        : `no intact earlier checkpoint is left in ${dirname(dir)}; train the run again.`),
  );
}
