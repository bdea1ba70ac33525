import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatDiagnostic } from '../graph/diagnostics.ts';
import { parseDocument } from '../graph/parse.ts';
import type { GraphDocument } from '../graph/schema.ts';
import type { Out } from './command.ts';

/**
 * Run folders as the CLI's commands take them: `trm train --out` writes `latest.json` and
 * `step-NNNNNN/checkpoint.json` (the graph document inside it); the app's runs hold a
 * `graph.json` snapshot beside their `checkpoints/`.
 */

export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The run folder of a run or of one of its step-NNNNNN checkpoints. */
export function runFolderOf(path: string): string {
  return existsSync(join(path, 'checkpoint.json')) && /^step-\d+$/.test(basename(path))
    ? dirname(path)
    : path;
}

/** The graph document a run folder or checkpoint folder recorded; prints why not, else. */
export async function loadRunDocument(
  folder: string,
  out: Out,
): Promise<GraphDocument | undefined> {
  let raw: unknown;
  try {
    const snapshot = join(folder, 'graph.json');
    if (existsSync(snapshot)) raw = JSON.parse(await readFile(snapshot, 'utf8'));
    else {
      const { readCheckpointDocument } = await import('../onnx-runtime/checkpoint.ts');
      raw = await readCheckpointDocument(folder);
    }
  } catch (e) {
    out.error((e as Error).message);
    return undefined;
  }
  const parsed = parseDocument(raw);
  if (!parsed.ok) {
    for (const d of parsed.diagnostics) out.error(`${folder}: ${formatDiagnostic(d)}`);
    return undefined;
  }
  return parsed.doc;
}

/**
 * Where an export folder goes when `--out` is not given: inside the run's `exports/` folder
 * (as the app writes them), or `exports/` in the current folder for a graph with initial weights.
 */
export function defaultExportPath(
  doc: GraphDocument,
  run: string | undefined,
  mode: string,
): string {
  const name = doc.name.replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
  // One model folder per graph and mode (Hugging Face layout); each precision adds its file.
  return join(run ? runFolderOf(run) : '.', 'exports', `${name}-${mode}`);
}
