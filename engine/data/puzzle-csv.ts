/**
 * Reads a puzzle CSV in the layout of the paper's data files (Sudoku-Extreme, Maze-Hard): a
 * header naming `question` and `answer` among its columns (`source,question,answer,rating`),
 * then one puzzle per line. Lines are read as a stream, so a file of hundreds of megabytes is
 * never held as one string; `limit` stops after that many puzzles. Node only.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataError, dataErrors } from './errors.ts';
import { PuzzleRows, RowProblem, type RowParser } from './puzzle-rows.ts';

function checkFile(path: string): void {
  try {
    if (statSync(path).isDirectory()) throw dataErrors.fileIsDirectory(path);
  } catch (error) {
    if (error instanceof DataError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw dataErrors.fileMissing(path);
    throw dataErrors.fileUnreadable(path, error instanceof Error ? error.message : String(error));
  }
}

/** Every puzzle of the file (up to `limit`), or a DataError naming the first bad line. */
export async function readPuzzleCsv(
  path: string,
  parser: RowParser,
  limit?: number,
): Promise<PuzzleRows> {
  checkFile(path);
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let rows: PuzzleRows | undefined;
  let line = 0;
  let columns: { question: number; answer: number; count: number } | undefined;
  try {
    for await (const raw of lines) {
      line++;
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (!columns) {
        const names = text.split(',').map((name) => name.trim().toLowerCase());
        const question = names.indexOf('question');
        const answer = names.indexOf('answer');
        if (question < 0 || answer < 0) throw dataErrors.puzzleHeader(path, text);
        columns = { question, answer, count: names.length };
        continue;
      }
      if (text.trim() === '') continue;
      if (limit !== undefined && (rows?.count ?? 0) >= limit) break;
      const fields = text.split(',');
      if (fields.length !== columns.count) {
        throw dataErrors.puzzleRow(
          path,
          line,
          `it has ${fields.length} comma-separated fields; the header names ${columns.count}`,
        );
      }
      let parsed;
      try {
        parsed = parser.parse(fields[columns.question] as string, fields[columns.answer] as string);
      } catch (error) {
        if (error instanceof RowProblem) throw dataErrors.puzzleRow(path, line, error.message);
        throw error;
      }
      rows ??= new PuzzleRows(parsed.question.length);
      rows.push(parsed.question, parsed.answer);
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw dataErrors.fileUnreadable(path, error instanceof Error ? error.message : String(error));
  } finally {
    lines.close();
    stream.destroy();
  }
  if (!rows) throw dataErrors.puzzleFileEmpty(path);
  return rows;
}
