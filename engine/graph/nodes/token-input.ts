import { z } from 'zod';
import { defineKind } from '../node-kind.ts';
import { size } from './common.ts';

export const TokenInputParams = z.strictObject({
  /** Vocabulary size: ids are in [0, vocab). */
  vocab: size('Vocabulary size; token ids are in [0, vocab).'),
  /** Longest sequence the model accepts (the context length). */
  maxLength: size('Longest sequence the model accepts (context length).'),
  /** @default false — sequences of exactly maxLength (puzzles), shown as a number instead of T. */
  fixedLength: z
    .boolean()
    .default(false)
    .describe('Every sequence has exactly maxLength tokens (puzzles).'),
});

export const tokenInput = defineKind({
  kind: 'token-input',
  title: 'Token input',
  category: 'inputs',
  doc: 'Integer token ids [B, T] fed to the model.',
  params: TokenInputParams,
  ports: () => ({
    inputs: [],
    outputs: [{ name: 'tokens', doc: 'token ids [B, T]', type: 'tokens' }],
  }),
  infer: (p) => ({ tokens: { shape: ['B', p.fixedLength ? p.maxLength : 'T'], dtype: 'int32' } }),
  weights: () => [],
  flopsPerToken: () => 0,
  lower: (p, _inputs, ctx) => {
    const type = { shape: ['B', p.fixedLength ? p.maxLength : 'T'], dtype: 'int32' as const };
    return { tokens: { value: ctx.input(ctx.nodeId, type, 'tokens'), ...type } };
  },
});
