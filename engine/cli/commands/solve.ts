import { parseCommand, type Out } from '../command.ts';

export const SOLVE_USAGE = `Usage: trm solve MODEL --puzzle CELLS [options]

MODEL is a --mode step ONNX export or a trainer checkpoint folder of a deep-supervision
(TRM) model. CELLS lists the grid row by row: digits, and . or 0 for blanks (16 cells for
4×4, 81 for 9×9). Prints the grid after every supervision step and stops when the halting
head says the answer is final.

  --puzzle CELLS       the puzzle
  --all-steps          run every supervision step, ignoring the halting head`;

/** Puzzle text → Sudoku tokens (blank = 1, digit d → d + 1), or a sentence saying what is wrong. */
export function parsePuzzle(text: string): Int32Array | Error {
  const cells = text.replace(/[\s|,]/g, '');
  if (cells.length !== 16 && cells.length !== 81)
    return new Error(
      `The puzzle has ${cells.length} cells; a Sudoku has 16 (4×4) or 81 (9×9). Give every cell row by row, with . or 0 for blanks.`,
    );
  const size = Math.round(Math.sqrt(cells.length));
  const tokens = new Int32Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const ch = cells[i]!;
    if (ch === '.' || ch === '0') tokens[i] = 1;
    else if (/^[1-9]$/.test(ch) && Number(ch) <= size) tokens[i] = Number(ch) + 1;
    else
      return new Error(
        `Cell ${i + 1} is "${ch}"; a ${size}×${size} puzzle takes digits 1–${size}, and . or 0 for blanks.`,
      );
  }
  return contradiction(tokens, size) ?? tokens;
}

/** The first two givens that share a row, column or box with the same digit, as a sentence. */
function contradiction(tokens: Int32Array, size: number): Error | undefined {
  const box = Math.round(Math.sqrt(size));
  const name = (i: number) => `r${Math.floor(i / size) + 1}c${(i % size) + 1}`;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === 1) continue;
    const [ri, ci] = [Math.floor(i / size), i % size];
    for (let j = i + 1; j < tokens.length; j++) {
      if (tokens[j] !== tokens[i]) continue;
      const [rj, cj] = [Math.floor(j / size), j % size];
      const unit =
        ri === rj
          ? 'same row'
          : ci === cj
            ? 'same column'
            : Math.floor(ri / box) === Math.floor(rj / box) &&
                Math.floor(ci / box) === Math.floor(cj / box)
              ? 'same box'
              : undefined;
      if (unit)
        return new Error(
          `The puzzle's givens contradict: cells ${name(i)} and ${name(j)} both hold ${(tokens[i] as number) - 1} (${unit}). Correct one of them; a Sudoku holds each digit once per row, column and box.`,
        );
    }
  }
  return undefined;
}

/** Rows of a grid of tokens (digit d = token d + 1; anything else shows as .). */
export function formatGrid(tokens: ArrayLike<number>): string[] {
  const size = Math.round(Math.sqrt(tokens.length));
  const box = Math.round(Math.sqrt(size));
  const rows: string[] = [];
  for (let r = 0; r < size; r++) {
    const cells: string[] = [];
    for (let c = 0; c < size; c++) {
      const t = tokens[r * size + c] as number;
      if (c > 0 && c % box === 0) cells.push('|');
      cells.push(t >= 2 ? String(t - 1) : '.');
    }
    rows.push(cells.join(' '));
  }
  return rows;
}

export async function solveCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(
    argv,
    {
      puzzle: { type: 'string' },
      'all-steps': { type: 'boolean' },
    },
    SOLVE_USAGE,
    out,
  );
  if (typeof args === 'number') return args;
  const v = args.values;
  const path = args.positionals[0];
  if (!path || v.puzzle === undefined) {
    out.error(`trm solve: missing ${path ? '--puzzle CELLS' : 'MODEL'}.\n\n${SOLVE_USAGE}`);
    return 2;
  }
  const puzzle = parsePuzzle(v.puzzle);
  if (puzzle instanceof Error) {
    out.error(puzzle.message);
    return 2;
  }
  const { loadModel } = await import('../../infer/load.ts');
  let model;
  try {
    model = await loadModel(path);
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  }
  try {
    if (model.fixedLength !== undefined && model.fixedLength !== puzzle.length) {
      out.error(
        `The puzzle has ${puzzle.length} cells but this model solves ${model.fixedLength}-cell puzzles. Give a ${model.fixedLength}-cell puzzle.`,
      );
      return 2;
    }
    const { solve } = await import('../../infer/solve.ts');
    const stepModel = model.stepModel();
    out.log('puzzle:');
    for (const row of formatGrid(puzzle)) out.log(`  ${row}`);
    const trace = await solve(stepModel, puzzle, {
      earlyHalt: !v['all-steps'],
      onStep: (step, answer, halt) => {
        out.log(`step ${step} (halt logit ${halt.toFixed(3)}):`);
        for (const row of formatGrid(answer)) out.log(`  ${row}`);
      },
    });
    out.log(
      trace.halted
        ? `halted after ${trace.stepsUsed} of ${stepModel.supervisionSteps} supervision steps`
        : `used all ${trace.stepsUsed} supervision steps without halting`,
    );
    return 0;
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  } finally {
    await model.dispose();
  }
}
