import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { keyIdsFit, outputProjection, project, projectionWeights } from './attention.ts';
import { defineKind, type WeightSpec } from '../node-kind.ts';
import { expectActivations, prob, size, value, weightInit } from './common.ts';

export const CrossAttentionParams = z.strictObject({
  width: size('Width D of the queries (input x and output).'),
  /** @default width */
  memoryWidth: size(
    'Width of the memory the keys and values come from (default: width).',
  ).optional(),
  heads: size('Number of heads H.'),
  /** @default width / heads */
  headDim: size('Width of each head (default: width / heads).').optional(),
  /** @default 0 — with the `source` port wired, memory positions whose token is this id are masked. */
  padId: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Token id of padding in the source; those memory positions are not attended to.'),
  /** @default false */
  bias: z.boolean().default(false).describe('Biases on the q, k, v and output projections.'),
  /** @default 0 */
  dropout: prob('Dropout on the output projection while training.').default(0),
  /** @default 'normal' */
  init: weightInit(),
});
type CrossAttentionParams = z.infer<typeof CrossAttentionParams>;

function dims(p: CrossAttentionParams) {
  const headDim = p.headDim ?? p.width / p.heads;
  return { headDim, inner: p.heads * headDim, memory: p.memoryWidth ?? p.width };
}

function weights(p: CrossAttentionParams): WeightSpec[] {
  const { inner, memory } = dims(p);
  const { width, init, bias } = p;
  return projectionWeights({ width, keyWidth: memory, q: inner, kv: inner, init, bias });
}

/**
 * Encoder–decoder attention: every query position of `x` [B, T, D] attends to all positions of
 * `memory` [B, S, Dm] (no causal mask: the memory is the whole encoded source). With the
 * source's token ids wired to `source` [B, S], memory positions holding `padId` are masked, so a
 * short source padded to S reads the same as it would unpadded.
 */
export const crossAttention = defineKind({
  kind: 'cross-attention',
  title: 'Cross-attention',
  category: 'attention',
  doc: 'Multi-head attention from queries x [B, T, D] to a memory [B, S, Dm] (encoder–decoder), optionally masking source padding.',
  params: CrossAttentionParams,
  ports: () => ({
    inputs: [
      { name: 'x', doc: 'queries [B, T, D] (the decoder)', type: 'float' },
      { name: 'memory', doc: 'keys and values [B, S, Dm] (the encoder output)', type: 'float' },
      {
        name: 'source',
        doc: 'source token ids [B, S]; positions holding padId are masked',
        type: 'tokens',
        optional: true,
      },
    ],
    outputs: [{ name: 'out', doc: 'attended activations [B, T, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    const { x, memory, source } = inputs;
    const { headDim, memory: memoryWidth } = dims(p);
    if (!expectActivations(ctx, 'x', x, p.width)) return undefined;
    if (!expectActivations(ctx, 'memory', memory, memoryWidth)) return undefined;
    if (!Number.isInteger(headDim)) {
      ctx.report(
        messages.notDivisible(
          ctx.nodeId,
          `width (${p.width})`,
          `heads (${p.heads})`,
          'Change one of them, or set headDim.',
        ),
      );
      return undefined;
    }
    const s = memory.shape[1];
    if (
      source &&
      !keyIdsFit(ctx, source, s, `token ids [B, ${String(s)}], one per memory position`)
    )
      return undefined;
    return { out: x };
  },
  weights,
  flopsPerToken: (p, inputs, ctx) => {
    const { inner, memory } = dims(p);
    const s = inputs.memory?.shape[1];
    const context = typeof s === 'number' ? s : (ctx.dims.T ?? 1);
    // Per query token: q and out projections, the k and v projections of the memory (counted
    // per query token as for self-attention), scores and weighted sum over the memory.
    return 2 * (2 * p.width * inner + 2 * memory * inner) + 2 * 2 * inner * context;
  },
  lower: (p, inputs, ctx, w) => {
    const { x, memory, source } = inputs;
    if (!x || !memory) return undefined;
    // [B, T, D] -> [B, T, H*Dh]; [B, S, Dm] -> [B, S, H*Dh] (heads packed in the last axis).
    const q = project(ctx, x.value, w.wq as string, w.bq);
    const k = project(ctx, memory.value, w.wk as string, w.bk);
    const v = project(ctx, memory.value, w.wv as string, w.bv);
    const att = ctx.op({
      op: 'Attention',
      q,
      k,
      v,
      qHeads: p.heads,
      kvHeads: p.heads,
      causal: false,
      ...(source ? { keyIds: source.value, padId: p.padId } : {}),
    });
    return { out: value(outputProjection(ctx, att, w, p.dropout), x) };
  },
});
