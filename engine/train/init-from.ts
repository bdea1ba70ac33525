import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createDataSource } from '../data/index.ts';
import type { DataSpec } from '../data/spec.ts';
import type { DataSource } from '../data/types.ts';
import { matchSavedNames } from '../graph/saved-names.ts';
import type { GraphDocument } from '../graph/schema.ts';
import type { InitFromReport } from '../contract/events.ts';
import type { WeightStore } from '../runtime/weights.ts';
import { checkpointFolders } from '../io/checkpoint-integrity.ts';
import { checkpointName, readCheckpoint, type LoadedCheckpoint } from './checkpoint.ts';
import { copyTokenRows, sameTokens, sharedCount, tokensOf, vocabAxes } from './vocab-rows.ts';

/**
 * Fine-tuning: a new run whose first weights come from a checkpoint of an earlier run. Weights
 * are matched by name (and, for a graph regrouped since, by `matchSavedNames`'s moved names);
 * a weight is copied when its shape is unchanged and initialised afresh otherwise, and both
 * lists are reported. When the data's vocabulary differs from the run's, the run is refused
 * with a sentence naming both, unless `resizeEmbedding` carries the vocabulary-indexed weights
 * over token by token (shared tokens keep their rows, new ones are initialised).
 */

export interface InitFrom {
  /** A run folder (its latest checkpoint), `RUN/step-N`, or a checkpoint folder. */
  path: string;
  /** Carry vocabulary-indexed weights over token by token when the vocabularies differ. */
  resizeEmbedding?: boolean;
  /** The run's name as the user knows it (a runs-table id); default: the run folder. */
  label?: string;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * The checkpoint folder `RUN[/step-N]` names. RUN is a `--out` folder or an app run folder
 * (whose checkpoints are in `checkpoints/`); step-N may drop the zero padding.
 */
export async function resolveInitSource(path: string): Promise<string> {
  if (await exists(join(path, 'checkpoint.json'))) return path;
  const step = /^step-(\d+)$/.exec(basename(path));
  const runDir = step ? dirname(path) : path;
  const folders = [runDir, join(runDir, 'checkpoints')];
  if (step) {
    const name = checkpointName(Number(step[1]));
    for (const f of folders)
      if (await exists(join(f, name, 'checkpoint.json'))) return join(f, name);
    const held = (await Promise.all(folders.map(checkpointFolders))).flat().map((d) => basename(d));
    throw new Error(
      `${runDir} has no checkpoint ${name}` +
        (held.length
          ? `; it holds ${held.join(', ')}. Start from one of those.`
          : ', nor any other; pass a run folder written by `trm train --out`.'),
    );
  }
  for (const f of folders) if (await exists(join(f, 'latest.json'))) return f;
  throw new Error(
    `${path} is not a training run: it has no checkpoint.json, latest.json or checkpoints/ folder. Pass a run folder written by \`trm train --out\`, or RUN/step-N for one of its checkpoints.`,
  );
}

/** The run a checkpoint folder belongs to (`…/RUN/step-N` or `…/RUN/checkpoints/step-N`). */
function runOf(checkpointDir: string): string {
  const parent = dirname(checkpointDir);
  return basename(parent) === 'checkpoints' ? dirname(parent) : parent;
}

export async function readInitCheckpoint(init: InitFrom): Promise<LoadedCheckpoint> {
  return readCheckpoint(await resolveInitSource(init.path));
}

/** The two vocabularies, or null when they are the same (or neither can be told). */
export interface VocabChange {
  from: string[] | null;
  to: string[] | null;
  fromSize: number;
  toSize: number;
  sentence: string;
}

/**
 * Compare the checkpoint's data vocabulary with the new data's. The same data spec means the
 * same vocabulary; otherwise the run's data is opened again to read its tokens.
 */
export async function compareVocab(
  c: LoadedCheckpoint,
  source: DataSource,
  dataSpec: DataSpec | undefined,
  seed: number,
): Promise<VocabChange | null> {
  const savedSpec = c.meta.dataSpec as DataSpec | null;
  if (!savedSpec || JSON.stringify(savedSpec) === JSON.stringify(dataSpec ?? null)) return null;
  let old: DataSource;
  try {
    old = await createDataSource(savedSpec, seed);
  } catch (e) {
    throw new Error(
      `The run's data cannot be opened to compare its vocabulary with this data's: ${(e as Error).message} Start from it with its own data, or restore that data first.`,
      { cause: e },
    );
  }
  const from = tokensOf(old.describe());
  const to = tokensOf(source.describe());
  if (from && to ? sameTokens(from, to) : old.vocabSize === source.vocabSize) return null;
  const shared = from && to ? sharedCount(from, to) : Math.min(old.vocabSize, source.vocabSize);
  return {
    from,
    to,
    fromSize: old.vocabSize,
    toSize: source.vocabSize,
    sentence:
      `The run was trained on "${old.name}" with a vocabulary of ${old.vocabSize} tokens; "${source.name}" has ${source.vocabSize}` +
      (from && to
        ? `, ${shared} of them shared.`
        : ` (its tokens cannot be compared, so ids are kept as they are).`),
  };
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * Copy the checkpoint's weights into `store` by name; the rest keep their fresh initialisation.
 * Returns what was mapped, initialised, resized and left unused. A resized embedding is read
 * asynchronously, as a device backend in Node can only read.
 */
export async function initFromCheckpoint(
  store: WeightStore,
  c: LoadedCheckpoint,
  doc: GraphDocument,
  opts: { vocab: VocabChange | null; resizeEmbedding: boolean; label?: string },
): Promise<InitFromReport> {
  const weights = c.groups.weights;
  if (!weights) throw new Error(`${c.dir} has no model weights; it is damaged.`);
  const { vocab, resizeEmbedding } = opts;
  if (vocab && !resizeEmbedding) {
    throw new Error(
      `${vocab.sentence} Mapping the embedding by token id would give the wrong rows. Pass --resize-embedding (in the Train panel: "Resize the embedding") to keep the shared tokens' rows and initialise the others, or train on data with the run's vocabulary.`,
    );
  }
  const axes = resizeEmbedding ? vocabAxes(doc) : new Map<string, number>();
  const saved = Object.entries(weights).map(([name, t]) => ({ name, size: t.size }));
  const match = matchSavedNames(
    [...store.params].map(([name, v]) => ({ name, size: v.size })),
    saved,
  );
  // Names that only moved are matched by size; a weight that also changed shape is found by name.
  for (const name of store.params.keys())
    if (!match.has(name) && weights[name]) match.set(name, name);
  const report: InitFromReport = {
    checkpoint: c.dir,
    run: opts.label ?? runOf(c.dir),
    step: c.meta.step,
    mapped: [],
    initialised: [],
    resized: [],
    unused: [],
    ...(vocab ? { vocab: vocab.sentence } : {}),
  };
  for (const [name, param] of store.params) {
    const savedName = match.get(name);
    const from = savedName ? weights[savedName] : undefined;
    if (!from) {
      report.initialised.push({ name, reason: 'not in the run' });
      continue;
    }
    const axis = axes.get(name);
    const sameShape =
      from.shape.length === param.shape.length && from.shape.every((d, i) => d === param.shape[i]);
    const otherAxesEqual =
      axis !== undefined &&
      from.shape.length === param.shape.length &&
      from.shape.every((d, i) => i === axis || d === param.shape[i]);
    if (axis !== undefined && otherAxesEqual && (vocab || !sameShape)) {
      const [saved, fresh] = (await Promise.all([from.data(), param.data()])) as Float32Array[];
      const values = copyTokenRows(
        saved!,
        from.shape,
        fresh!,
        param.shape,
        axis,
        vocab?.from ?? null,
        vocab?.to ?? null,
      );
      const t = tf.tensor(values, param.shape);
      param.assign(t);
      t.dispose();
      report.resized.push(name);
    } else if (sameShape) {
      param.assign(from);
      report.mapped.push(name);
    } else {
      report.initialised.push({
        name,
        reason:
          `saved ${fmt(from.shape)}, now ${fmt(param.shape)}` +
          (axis !== undefined && !resizeEmbedding
            ? ' (--resize-embedding keeps its shared rows)'
            : ''),
      });
    }
  }
  const used = new Set(match.values());
  const buffers = new Set(store.buffers.keys());
  report.unused = saved.map((e) => e.name).filter((n) => !used.has(n) && !buffers.has(n));
  return report;
}

/** One line for a log: where the weights came from and what did not map. */
export function describeInit(r: InitFromReport): string {
  const list = (xs: string[]) =>
    xs.length > 6 ? `${xs.slice(0, 6).join(', ')}, …` : xs.join(', ');
  return [
    `Starting from ${r.run} at step ${r.step}: ${r.mapped.length} weights mapped by name`,
    r.resized.length
      ? `, ${r.resized.length} resized to the new vocabulary (${list(r.resized)})`
      : '',
    r.initialised.length
      ? `, ${r.initialised.length} initialised afresh (${list(r.initialised.map((i) => `${i.name}: ${i.reason}`))})`
      : ', none initialised afresh',
    r.unused.length ? `; ${r.unused.length} of the run's weights unused (${list(r.unused)})` : '',
    '.',
    r.vocab ? ` ${r.vocab}` : '',
  ].join('');
}
