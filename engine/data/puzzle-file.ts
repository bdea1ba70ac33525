/**
 * Puzzle data from a user's files (Sudoku-Extreme and Maze-Hard CSV, ARC-AGI task folders):
 * read, checked whole (a bad row fails the load), split with the seed. Node only.
 */
import { readArcFolder } from './arc-folder.ts';
import { arcSource } from './arc.ts';
import { dataErrors } from './errors.ts';
import { mazeCsvSource, mazeRowParser } from './maze-csv.ts';
import { readPuzzleCsv } from './puzzle-csv.ts';
import { defaultValidationSize, splitRows, type PuzzleRows, type RowSplit } from './puzzle-rows.ts';
import type { ArcSpec, MazeCsvSpec, SudokuCsvSpec } from './spec.ts';
import { sudokuCsvSource, sudokuRowParser } from './sudoku-csv.ts';
import type { DataSource } from './types.ts';

function split(
  path: string,
  rows: PuzzleRows,
  validationSize: number | undefined,
  seed: number,
): RowSplit {
  const heldOut = validationSize ?? defaultValidationSize(rows.count);
  if (heldOut >= rows.count) throw dataErrors.puzzleSplitTooSmall(`"${path}"`, rows.count, heldOut);
  return splitRows(rows.count, heldOut, seed);
}

export async function loadPuzzleFile(
  spec: SudokuCsvSpec | MazeCsvSpec | ArcSpec,
  seed: number,
): Promise<DataSource> {
  switch (spec.type) {
    case 'sudoku-csv': {
      const parser = sudokuRowParser();
      const rows = await readPuzzleCsv(spec.path, parser, spec.limit);
      return sudokuCsvSource(
        spec,
        rows,
        parser.box,
        split(spec.path, rows, spec.validationSize, seed),
        seed,
      );
    }
    case 'maze-csv': {
      const parser = mazeRowParser();
      const rows = await readPuzzleCsv(spec.path, parser, spec.limit);
      return mazeCsvSource(
        spec,
        rows,
        parser.side,
        split(spec.path, rows, spec.validationSize, seed),
        seed,
      );
    }
    case 'arc':
      return arcSource(spec, readArcFolder(spec.path, spec.limit), seed);
  }
}
