import { z } from 'zod';
import { defineKind } from '../node-kind.ts';
import { size } from './common.ts';

export const TokenEmbeddingParams = z.strictObject({
  vocab: size('Vocabulary size (rows of the table).'),
  width: size('Embedding width D.'),
  /** @default 'none' — TRM multiplies by √D with init std 1/√D. */
  scale: z
    .enum(['none', 'sqrt-width'])
    .default('none')
    .describe('Multiply embeddings by √width (TRM) or not.'),
  /** @default 0.02 — standard deviation of the initial table; ignored with scale sqrt-width (1/√D). */
  initStd: z
    .number()
    .positive()
    .max(10)
    .default(0.02)
    .describe('Std of the initial table (1/√D when scaled).'),
  /** @default false — the TRM code truncates at ±2σ and corrects the std. */
  truncated: z
    .boolean()
    .default(false)
    .describe(
      "Draw the initial table from a normal truncated at ±2σ with the std corrected (the TRM code's).",
    ),
});

export const tokenEmbedding = defineKind({
  kind: 'token-embedding',
  title: 'Token embedding',
  category: 'embeddings',
  doc: 'Looks up a learned vector per token id: [B, T] → [B, T, D].',
  params: TokenEmbeddingParams,
  ports: () => ({
    inputs: [{ name: 'tokens', doc: 'token ids [B, T]', type: 'tokens' }],
    outputs: [{ name: 'out', doc: 'embeddings [B, T, D]', type: 'float' }],
  }),
  infer: (p, inputs) => {
    const t = inputs.tokens;
    return t ? { out: { shape: [...t.shape, p.width], dtype: 'float32' } } : undefined;
  },
  weights: (p) => [
    {
      local: 'table',
      shape: [p.vocab, p.width],
      init: {
        kind: p.truncated ? 'truncated-normal' : 'normal',
        std: p.scale === 'sqrt-width' ? 1 / Math.sqrt(p.width) : p.initStd,
        ...(p.truncated ? { corrected: true } : {}),
      },
      decay: true,
    },
  ],
  flopsPerToken: (p) => (p.scale === 'sqrt-width' ? p.width : 0),
  lower: (p, inputs, ctx, w) => {
    const tokens = inputs.tokens;
    if (!tokens) return undefined;
    let out = ctx.op({ op: 'Gather', data: w.table as string, indices: tokens.value });
    if (p.scale === 'sqrt-width') out = ctx.op({ op: 'Scale', x: out, factor: Math.sqrt(p.width) });
    return { out: { value: out, shape: [...tokens.shape, p.width], dtype: 'float32' } };
  },
});
