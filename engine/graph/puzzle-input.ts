import type { IrInput, IrProgram } from './ir.ts';

/**
 * The puzzle-id input of a model with a per-puzzle embedding table (a puzzle prefix with
 * puzzles > 1): one int32 id per example, [B], the row of the table the example starts from.
 * Found by role, never by node kind; one input however many nodes read it.
 */
export const PUZZLE_INPUT = 'puzzle_id';

export interface PuzzleTable {
  input: IrInput;
  /** Rows of the table: ids are in [0, rows). The smallest table when several read the ids. */
  rows: number;
  /** Path of the node whose table has `rows` rows. */
  node: string;
}

/** The program's puzzle-id input and the table it picks rows of; undefined when it has none. */
export function puzzleTable(program: IrProgram): PuzzleTable | undefined {
  const input = program.inputs.find((i) => i.role === 'puzzle');
  if (!input) return undefined;
  let found: PuzzleTable | undefined;
  for (const op of program.ops) {
    if (op.op !== 'Gather' || op.indices !== input.name) continue;
    const rows = program.params.get(op.data)?.shape[0];
    if (rows !== undefined && (found === undefined || rows < found.rows))
      found = { input, rows, node: op.source };
  }
  return found ?? { input, rows: 0, node: '' };
}

/** The first id outside the table as a sentence naming it and the table's size; else undefined. */
export function puzzleIdProblem(ids: ArrayLike<number>, table: PuzzleTable): string | undefined {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (Number.isInteger(id) && id >= 0 && id < table.rows) continue;
    const fix =
      id >= table.rows
        ? `feed ids the model was trained with, or set that node's puzzles to at least ${id + 1} and train again`
        : 'puzzle ids are whole numbers from 0';
    return `Puzzle id ${id} (example ${i + 1}) is outside the per-puzzle table of node "${table.node}", which has ${table.rows} rows (ids 0–${table.rows - 1}): ${fix}.`;
  }
  return undefined;
}

/**
 * Why data with `dataIds` puzzle ids cannot train this program, as a sentence; undefined when
 * the table holds them all (or the program takes no ids).
 */
export function puzzleDataProblem(
  table: PuzzleTable | undefined,
  dataIds: number | undefined,
  dataName: string,
): string | undefined {
  if (!table || dataIds === undefined || dataIds <= table.rows) return undefined;
  return `The data "${dataName}" has ${dataIds} puzzle ids (0–${dataIds - 1}) but the per-puzzle table of node "${table.node}" has ${table.rows} rows; set its puzzles to ${dataIds}.`;
}

/**
 * A notice for data with puzzle ids that the program does not read (no per-puzzle table, e.g.
 * a puzzle prefix with one shared row): training works, but every puzzle shares one vector.
 */
export function unreadPuzzleIds(
  table: PuzzleTable | undefined,
  dataIds: number | undefined,
  dataName: string,
): string | undefined {
  if (table || dataIds === undefined || dataIds <= 1) return undefined;
  return `The data "${dataName}" gives each example one of ${dataIds} puzzle ids, which this graph does not read: every puzzle shares one puzzle vector. To learn one per puzzle, set the puzzle prefix's puzzles to ${dataIds}.`;
}
