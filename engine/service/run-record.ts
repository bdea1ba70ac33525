import { createReadStream } from 'node:fs';
import { listExportModels } from './export-files.ts';
import { lstat, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { createInterface } from 'node:readline';
import { parseDocument } from '../graph/parse.ts';
import { TrainEvent } from '../contract/events.ts';
import type { RunDetail, RunSummary } from '../contract/api.ts';
import { ServiceError } from './errors.ts';
import { RunFold } from './run-metrics.ts';
import { parseJsonText } from '../graph/json-text.ts';

/**
 * Reading a run folder back for the runs view: `run.json`, the graph snapshot, the settings,
 * the metrics (streamed, so a run of millions of steps is read in bounded memory), the
 * checkpoints and exports; and deleting a run folder, never anything outside `runs/`.
 */

/** Every event recorded in `metrics.jsonl`, folded; damaged lines (a crash mid-write) skipped. */
export async function foldRunFile(dir: string, fold = new RunFold()): Promise<RunFold> {
  let stream;
  try {
    stream = createReadStream(join(dir, 'metrics.jsonl'), { encoding: 'utf8' });
    await new Promise<void>((ok, fail) => stream!.once('open', () => ok()).once('error', fail));
  } catch {
    return fold;
  }
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (!line) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const e = TrainEvent.safeParse(raw);
    if (e.success) fold.add(e.data);
  }
  return fold;
}

async function readJson(path: string): Promise<unknown> {
  return parseJsonText(await readFile(path, 'utf8'));
}

const asRecord = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

async function graphSnapshot(dir: string): Promise<Pick<RunDetail, 'graph' | 'graphProblem'>> {
  let text: string;
  try {
    text = await readFile(join(dir, 'graph.json'), 'utf8');
  } catch {
    return { graph: null, graphProblem: 'This run has no graph snapshot (graph.json is missing).' };
  }
  const parsed = parseDocument(text);
  if (parsed.ok) return { graph: parsed.doc, graphProblem: null };
  const first = parsed.diagnostics[0]?.message ?? 'it is not a graph document';
  return { graph: null, graphProblem: `This run's graph snapshot is damaged: ${first}` };
}

async function listFiles(dir: string, wanted: (name: string) => boolean) {
  try {
    return (await readdir(dir)).filter(wanted).sort();
  } catch {
    return [];
  }
}

/** A run in full; `live` is the summary of a run still held in memory (fresher than run.json). */
export async function readRunDetail(dir: string, summary: RunSummary): Promise<RunDetail> {
  const fold = await foldRunFile(dir);
  const settings = asRecord(await readJson(join(dir, 'config.json')).catch(() => null));
  const exportNames = await listExportModels(join(dir, 'exports'));
  const exports = [];
  for (const file of exportNames) {
    const s = await stat(join(dir, 'exports', file)).catch(() => null);
    if (s?.isFile()) exports.push({ file, bytes: s.size });
  }
  return {
    run: { ...summary, metrics: summary.metrics ?? fold.metrics },
    ...(await graphSnapshot(dir)),
    config: asRecord(settings?.config),
    data: asRecord(settings?.data),
    series: fold.series(),
    checkpoints: await listFiles(join(dir, 'checkpoints'), (f) => !f.startsWith('.')),
    exports,
  };
}

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * Delete `<runsDir>/<runId>`: only a real folder (not a link) directly inside the runs
 * folder that holds a `run.json`, so a mistaken id can never remove anything else.
 */
export async function deleteRunFolder(runsDir: string, runId: string): Promise<void> {
  const dir = join(runsDir, runId);
  const missing = () =>
    new ServiceError(
      'no-such-run',
      `There is no run ${runId} in ${runsDir}; refresh the runs list and pick one again.`,
    );
  const info = await lstat(dir).catch(() => null);
  if (!info) throw missing();
  const root = await realpath(runsDir).catch(() => runsDir);
  const real = await realpath(dir).catch(() => dir);
  if (!info.isDirectory() || info.isSymbolicLink() || !inside(root, real)) {
    throw new ServiceError(
      'not-a-run',
      `${dir} is not a run folder inside ${runsDir}, so it was left alone; remove it by hand if you mean to.`,
    );
  }
  if (!(await stat(join(dir, 'run.json')).catch(() => null))?.isFile()) throw missing();
  await rm(dir, { recursive: true, force: true });
}
