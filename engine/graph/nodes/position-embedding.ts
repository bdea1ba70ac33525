import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind } from '../node-kind.ts';
import { expectActivations, size, value } from './common.ts';

export const PositionEmbeddingParams = z.strictObject({
  /** @default 'learned' */
  type: z
    .enum(['learned', 'sinusoidal'])
    .default('learned')
    .describe('Learned table or fixed sinusoids.'),
  maxLength: size('Number of positions (the context length).'),
  width: size('Embedding width D.'),
  /** @default 0.02 */
  initStd: z
    .number()
    .positive()
    .max(10)
    .default(0.02)
    .describe('Std of the initial learned table.'),
});

export const positionEmbedding = defineKind({
  kind: 'position-embedding',
  title: 'Position embedding',
  category: 'embeddings',
  doc: 'Adds a vector per position to the embeddings: [B, T, D] → [B, T, D].',
  params: PositionEmbeddingParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'embeddings [B, T, D]', type: 'float' }],
    outputs: [{ name: 'out', doc: 'embeddings + positions [B, T, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!expectActivations(ctx, 'x', x, p.width)) return undefined;
    const len = x.shape[1];
    if (typeof len === 'number' && len > p.maxLength) {
      ctx.report({
        ...messages.other(
          ctx.nodeId,
          `sequences of ${len} exceed its ${p.maxLength} positions. Raise maxLength to at least ${len}.`,
        ),
        port: 'x',
      });
      return undefined;
    }
    return { out: x };
  },
  weights: (p) =>
    p.type === 'learned'
      ? [
          {
            local: 'table',
            shape: [p.maxLength, p.width],
            init: { kind: 'normal', std: p.initStd },
            decay: false,
          },
        ]
      : [],
  flopsPerToken: (p) => p.width,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    const table =
      p.type === 'learned'
        ? (w.table as string)
        : ctx.buffer('table', [p.maxLength, p.width], { kind: 'sinusoidal' });
    // [P, D] -> [T, D], broadcast over the batch.
    const pos = ctx.op({ op: 'SliceLike', x: table, axis: 0, like: x.value, likeAxis: 1 });
    return { out: value(ctx.op({ op: 'Add', a: x.value, b: pos }), x) };
  },
});
