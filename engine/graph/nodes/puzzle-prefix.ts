import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind, type LowerContext } from '../node-kind.ts';
import { PUZZLE_INPUT } from '../puzzle-input.ts';
import { expectActivations, size, value } from './common.ts';

export const PuzzlePrefixParams = z.strictObject({
  width: size('Embedding width D.'),
  /** @default 16 — the TRM code's puzzle-embedding length. */
  positions: size('Positions put before the puzzle (TRM: 16).').default(16),
  /**
   * Rows of the per-puzzle table. 1: one vector shared by every puzzle (the TRM code's Sudoku
   * and maze sets, whose puzzle ids are all 0). More: the model takes a puzzle id per example
   * (`puzzle_id`, [B]) and starts from that row (ARC: one id per task and augmentation).
   * @default 1
   */
  puzzles: size(
    'Rows of the per-puzzle table; above 1 the model takes a puzzle id per example (ARC).',
  ).default(1),
});

/**
 * TRM's puzzle-embedding prefix: `positions` extra positions in front of the embedded puzzle.
 * The first holds a learned vector, the row of a [puzzles, D] table picked by the example's
 * puzzle id (one shared row when puzzles is 1); the others are zeros. The latent state runs
 * over all of them, the halting head reads position 0, and a head with `skip` leaves them out
 * of the answer. As in the paper, the table is trained but not counted in the parameter total.
 */
export const puzzlePrefix = defineKind({
  kind: 'puzzle-prefix',
  title: 'Puzzle prefix',
  category: 'embeddings',
  doc: 'Puts P positions before the puzzle, the first a learned puzzle vector: [B, L, D] → [B, P+L, D] (TRM).',
  params: PuzzlePrefixParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'embedded puzzle [B, L, D]', type: 'float' }],
    outputs: [{ name: 'out', doc: 'prefix and puzzle [B, P+L, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!expectActivations(ctx, 'x', x, p.width)) return undefined;
    const length = x.shape[1];
    if (typeof length !== 'number') {
      ctx.report({ ...messages.sequenceLength(ctx.nodeId, length ?? '?'), port: 'x' });
      return undefined;
    }
    return { out: { ...x, shape: [x.shape[0] ?? 'B', p.positions + length, p.width] } };
  },
  weights: (p) => [
    // The TRM code starts the puzzle embedding at zero.
    {
      local: 'puzzle',
      shape: [p.puzzles, p.width],
      init: { kind: 'zeros' },
      decay: false,
      counted: false,
    },
  ],
  flopsPerToken: () => 0,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x || typeof x.shape[1] !== 'number') return undefined;
    const table = w.puzzle as string;
    const prefix = (p.puzzles > 1 ? perPuzzle : shared)(ctx, table, x.value, p);
    const out = ctx.op({ op: 'Concat', inputs: [prefix, x.value], axis: 1 });
    return {
      out: value(out, { ...x, shape: [x.shape[0] ?? 'B', p.positions + x.shape[1], p.width] }),
    };
  },
});

type Params = z.infer<typeof PuzzlePrefixParams>;

/** [B, P, D] from the one shared row: [P, D] (the row, then P − 1 zero rows) against [B, 1, D]. */
function shared(ctx: LowerContext, row: string, x: string, p: Params): string {
  const rows =
    p.positions > 1
      ? ctx.op({
          op: 'Concat',
          inputs: [row, ctx.buffer('zeros', [p.positions - 1, p.width], { kind: 'zeros' })],
          axis: 0,
        })
      : row;
  const first = ctx.op({ op: 'SlicePrefix', x, axis: 1, length: 1 });
  return ctx.op({ op: 'BroadcastLike', x: rows, like: first });
}

/** [B, P, D] whose first position is each example's row of the table, the rest zeros. */
function perPuzzle(ctx: LowerContext, table: string, x: string, p: Params): string {
  const ids = ctx.input(PUZZLE_INPUT, { shape: ['B'], dtype: 'int32' }, 'puzzle');
  // [puzzles, D] at ids [B] → [B, D] → [B, 1, D]
  const gathered = ctx.op({ op: 'Gather', data: table, indices: ids });
  const row = ctx.op({ op: 'Reshape', x: gathered, shape: [0, 1, p.width] });
  if (p.positions === 1) return row;
  // [P − 1, D] against [B, 1, D] → [B, P − 1, D]
  const first = ctx.op({ op: 'SlicePrefix', x, axis: 1, length: 1 });
  const zeros = ctx.op({
    op: 'BroadcastLike',
    x: ctx.buffer('zeros', [p.positions - 1, p.width], { kind: 'zeros' }),
    like: first,
  });
  return ctx.op({ op: 'Concat', inputs: [row, zeros], axis: 1 });
}
