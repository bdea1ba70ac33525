import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind } from '../node-kind.ts';
import { expectActivations, matrixInit, size, weightInit, withLast } from './common.ts';

export const LmHeadParams = z.strictObject({
  width: size('Input width D.'),
  vocab: size('Vocabulary size: logits per position.'),
  /** @default none — the id of a token-embedding node whose table is reused (transposed). */
  tiedTo: z
    .string()
    .min(1)
    .optional()
    .describe('Token-embedding node whose table this head reuses.'),
  /** @default false */
  bias: z.boolean().default(false).describe('Learned output bias.'),
  /** @default 'normal' */
  init: weightInit(),
});

export const lmHead = defineKind({
  kind: 'lm-head',
  title: 'LM head',
  category: 'heads',
  doc: 'Next-token logits per position: [B, T, D] → [B, T, V], optionally tied to the embedding.',
  params: LmHeadParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, T, D]', type: 'float' }],
    outputs: [{ name: 'logits', doc: 'logits [B, T, V]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    if (!expectActivations(ctx, 'x', inputs.x)) return undefined;
    const width = inputs.x.shape[2];
    if (p.tiedTo !== undefined) {
      const emb = ctx.sibling(p.tiedTo);
      if (!emb || emb.kind !== 'token-embedding') {
        ctx.report(messages.tiedTargetMissing(ctx.nodeId, p.tiedTo));
        return undefined;
      }
      const embVocab = emb.params.vocab as number;
      const embWidth = emb.params.width as number;
      if (embVocab !== p.vocab) {
        ctx.report(messages.tiedVocabMismatch(ctx.nodeId, p.vocab, embVocab, p.tiedTo));
        return undefined;
      }
      if (embWidth !== width) {
        ctx.report({
          ...messages.tiedWidthMismatch(ctx.nodeId, width ?? '?', p.tiedTo, embWidth),
          port: 'x',
        });
        return undefined;
      }
    }
    if (width !== p.width) {
      ctx.report({ ...messages.widthMismatch(ctx.nodeId, 'x', p.width, width ?? '?'), port: 'x' });
      return undefined;
    }
    return { logits: withLast(inputs.x, p.vocab) };
  },
  weights: (p) => [
    ...(p.tiedTo === undefined
      ? [
          {
            local: 'weight',
            shape: [p.width, p.vocab],
            init: matrixInit(p.init, p.width),
            decay: true,
          },
        ]
      : []),
    ...(p.bias
      ? [{ local: 'bias', shape: [p.vocab], init: { kind: 'zeros' as const }, decay: false }]
      : []),
  ],
  flopsPerToken: (p) => 2 * p.width * p.vocab,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    // A tied head multiplies by the embedding table transposed: [V, D] -> [D, V].
    const weight =
      p.tiedTo === undefined
        ? (w.weight as string)
        : ctx.op({ op: 'Transpose', x: ctx.siblingWeight(p.tiedTo, 'table'), perm: [1, 0] });
    let logits = ctx.op({ op: 'MatMul', a: x.value, b: weight });
    if (w.bias) logits = ctx.op({ op: 'Add', a: logits, b: w.bias });
    const t = withLast(x, p.vocab);
    ctx.output(logits, 'logits', t);
    return { logits: { value: logits, ...t } };
  },
});
