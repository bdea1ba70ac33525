import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind } from '../node-kind.ts';
import { expectActivations, size, value } from './common.ts';

export const PuzzlePrefixParams = z.strictObject({
  width: size('Embedding width D.'),
  /** @default 16 — the TRM code's puzzle-embedding length. */
  positions: size('Positions put before the puzzle (TRM: 16).').default(16),
});

/**
 * TRM's puzzle-embedding prefix: `positions` extra positions in front of the embedded puzzle.
 * The first holds a learned vector (the TRM code's per-puzzle embedding, one row when every
 * puzzle shares the identifier 0, as its Sudoku and maze sets do); the others are zeros. The
 * latent state runs over all of them, the halting head reads position 0, and a head with
 * `skip` leaves them out of the answer. As in the paper, the vector is trained but not counted
 * in the parameter total.
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
    { local: 'puzzle', shape: [1, p.width], init: { kind: 'zeros' }, decay: false, counted: false },
  ],
  flopsPerToken: () => 0,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x || typeof x.shape[1] !== 'number') return undefined;
    // [P, D]: the learned row, then P − 1 rows of zeros.
    const rows =
      p.positions > 1
        ? ctx.op({
            op: 'Concat',
            inputs: [
              w.puzzle as string,
              ctx.buffer('zeros', [p.positions - 1, p.width], { kind: 'zeros' }),
            ],
            axis: 0,
          })
        : (w.puzzle as string);
    // [P, D] against [B, 1, D] → [B, P, D], then in front of the puzzle along the sequence.
    const first = ctx.op({ op: 'SlicePrefix', x: x.value, axis: 1, length: 1 });
    const prefix = ctx.op({ op: 'BroadcastLike', x: rows, like: first });
    const out = ctx.op({ op: 'Concat', inputs: [prefix, x.value], axis: 1 });
    return {
      out: value(out, { ...x, shape: [x.shape[0] ?? 'B', p.positions + x.shape[1], p.width] }),
    };
  },
});
