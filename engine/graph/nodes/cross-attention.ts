import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind, type WeightSpec } from '../node-kind.ts';
import { expectActivations, matrixInit, prob, size, value, weightInit } from './common.ts';

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
  const mats: WeightSpec[] = [
    { local: 'wq', shape: [p.width, inner], init: matrixInit(p.init, p.width), decay: true },
    { local: 'wk', shape: [memory, inner], init: matrixInit(p.init, memory), decay: true },
    { local: 'wv', shape: [memory, inner], init: matrixInit(p.init, memory), decay: true },
    { local: 'wo', shape: [inner, p.width], init: matrixInit(p.init, inner), decay: true },
  ];
  if (!p.bias) return mats;
  return [
    ...mats,
    { local: 'bq', shape: [inner], init: { kind: 'zeros' }, decay: false },
    { local: 'bk', shape: [inner], init: { kind: 'zeros' }, decay: false },
    { local: 'bv', shape: [inner], init: { kind: 'zeros' }, decay: false },
    { local: 'bo', shape: [p.width], init: { kind: 'zeros' }, decay: false },
  ];
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
    if (source) {
      const ok =
        source.dtype === 'int32' &&
        source.shape.length === 2 &&
        (typeof source.shape[1] !== 'number' ||
          typeof memory.shape[1] !== 'number' ||
          source.shape[1] === memory.shape[1]);
      if (!ok) {
        ctx.report({
          ...messages.rankMismatch(
            ctx.nodeId,
            'source',
            `token ids [B, ${String(memory.shape[1])}], one per memory position`,
            source.shape,
          ),
          port: 'source',
        });
        return undefined;
      }
    }
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
    const project = (from: string, wm: string, b: string | undefined) => {
      const y = ctx.op({ op: 'MatMul', a: from, b: wm });
      return b ? ctx.op({ op: 'Add', a: y, b }) : y;
    };
    // [B, T, D] -> [B, T, H*Dh]; [B, S, Dm] -> [B, S, H*Dh] (heads packed in the last axis).
    const q = project(x.value, w.wq as string, w.bq);
    const k = project(memory.value, w.wk as string, w.bk);
    const v = project(memory.value, w.wv as string, w.bv);
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
    let out = ctx.op({ op: 'MatMul', a: att, b: w.wo as string });
    if (w.bo) out = ctx.op({ op: 'Add', a: out, b: w.bo });
    if (p.dropout > 0) out = ctx.op({ op: 'Dropout', x: out, rate: p.dropout });
    return { out: value(out, x) };
  },
});
