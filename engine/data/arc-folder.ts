/** Reads a folder of ARC-AGI task files (`<id>.json`, in file-name order). Node only. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArcTask, type ArcTask } from './arc.ts';
import { DataError, dataErrors } from './errors.ts';

function listTaskFiles(dir: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) throw dataErrors.notAFolder(dir);
    return readdirSync(dir)
      .filter((name) => name.toLowerCase().endsWith('.json'))
      .sort();
  } catch (error) {
    if (error instanceof DataError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw dataErrors.folderMissing(dir);
    throw dataErrors.fileUnreadable(dir, error instanceof Error ? error.message : String(error));
  }
}

/** Every task (the first `limit` by file name), or a DataError naming the first bad file. */
export function readArcFolder(dir: string, limit?: number): ArcTask[] {
  const names = listTaskFiles(dir).slice(0, limit);
  if (names.length === 0) throw dataErrors.arcFolderEmpty(dir);
  return names.map((name) => {
    const file = join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      if (error instanceof SyntaxError) {
        throw dataErrors.arcTask(file, `not valid JSON (${error.message})`);
      }
      throw dataErrors.fileUnreadable(file, error instanceof Error ? error.message : String(error));
    }
    return parseArcTask(file, name.slice(0, -'.json'.length), json);
  });
}
