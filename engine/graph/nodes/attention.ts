import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind, type KindContext, type TensorType, type WeightSpec } from '../node-kind.ts';
import { expectActivations, matrixInit, prob, size, value, weightInit } from './common.ts';

export const AttentionParams = z.strictObject({
  width: size('Model width D (input and output).'),
  heads: size('Number of query heads H.'),
  /** @default width / heads */
  headDim: size('Width of each head (default: width / heads).').optional(),
  /** @default heads — fewer key/value heads than query heads is grouped-query attention. */
  kvHeads: size('Key/value heads (fewer than heads = grouped-query attention).').optional(),
  /** @default true */
  causal: z
    .boolean()
    .default(true)
    .describe('Each position sees only earlier ones (language models).'),
  /** @default false */
  rope: z.boolean().default(false).describe('Rotary position embedding on queries and keys.'),
  /** @default 10000 */
  ropeTheta: z.number().positive().default(10000).describe('RoPE base frequency θ.'),
  /** @default false */
  bias: z.boolean().default(false).describe('Biases on the q, k, v and output projections.'),
  /** @default 0 — with the `source` port wired, keys whose token is this id are masked. */
  padId: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Token id of padding; with source wired, those positions are not attended to.'),
  /** @default 0 */
  dropout: prob('Dropout on the output projection while training.').default(0),
  /** @default 'normal' */
  init: weightInit(),
});
type AttentionParams = z.infer<typeof AttentionParams>;

export function attentionDims(p: AttentionParams) {
  const headDim = p.headDim ?? p.width / p.heads;
  const kvHeads = p.kvHeads ?? p.heads;
  return { headDim, kvHeads, q: p.heads * headDim, kv: kvHeads * headDim };
}

function weights(p: AttentionParams): WeightSpec[] {
  const { q, kv } = attentionDims(p);
  const input = matrixInit(p.init, p.width);
  const mats: WeightSpec[] = [
    { local: 'wq', shape: [p.width, q], init: input, decay: true },
    { local: 'wk', shape: [p.width, kv], init: input, decay: true },
    { local: 'wv', shape: [p.width, kv], init: input, decay: true },
    { local: 'wo', shape: [q, p.width], init: matrixInit(p.init, q), decay: true },
  ];
  if (!p.bias) return mats;
  return [
    ...mats,
    { local: 'bq', shape: [q], init: { kind: 'zeros' }, decay: false },
    { local: 'bk', shape: [kv], init: { kind: 'zeros' }, decay: false },
    { local: 'bv', shape: [kv], init: { kind: 'zeros' }, decay: false },
    { local: 'bo', shape: [p.width], init: { kind: 'zeros' }, decay: false },
  ];
}

/**
 * The padding mask's ids: int32 [B, T], one per position of x, on bidirectional attention only
 * (a causal model's KV cache would need the ids of every cached position too).
 */
function sourceFits(
  p: AttentionParams,
  source: TensorType,
  x: TensorType,
  ctx: KindContext,
): boolean {
  if (p.causal) {
    ctx.report({
      ...messages.other(
        ctx.nodeId,
        'the padding mask (source port) is for bidirectional attention; a causal position never sees the padding after it. Set causal off, or unwire source.',
      ),
      port: 'source',
    });
    return false;
  }
  const t = x.shape[1];
  const s = source.shape[1];
  const ok =
    source.dtype === 'int32' &&
    source.shape.length === 2 &&
    (typeof s !== 'number' || typeof t !== 'number' || s === t);
  if (!ok)
    ctx.report({
      ...messages.rankMismatch(
        ctx.nodeId,
        'source',
        `token ids [B, ${String(t)}], one per position of x`,
        source.shape,
      ),
      port: 'source',
    });
  return ok;
}

/**
 * Self-attention over x [B, T, D]. With the source's token ids wired to `source` [B, T]
 * (bidirectional only), positions holding `padId` are masked as keys, so an encoder over a
 * padded source gives its real positions what it would give them unpadded.
 */
export const attention = defineKind({
  kind: 'attention',
  title: 'Attention',
  category: 'attention',
  doc: 'Multi-head self-attention (causal or bidirectional, optional RoPE and grouped KV heads).',
  params: AttentionParams,
  ports: () => ({
    inputs: [
      { name: 'x', doc: 'activations [B, T, D]', type: 'float' },
      {
        name: 'source',
        doc: 'token ids [B, T] of x (bidirectional only); positions holding padId are masked',
        type: 'tokens',
        optional: true,
      },
    ],
    outputs: [{ name: 'out', doc: 'attended activations [B, T, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!expectActivations(ctx, 'x', x, p.width)) return undefined;
    const { headDim, kvHeads } = attentionDims(p);
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
    if (p.heads % kvHeads !== 0) {
      ctx.report(messages.notDivisible(ctx.nodeId, `heads (${p.heads})`, `kvHeads (${kvHeads})`));
      return undefined;
    }
    if (p.rope && headDim % 2 !== 0) {
      ctx.report(messages.notDivisible(ctx.nodeId, `the head width (${headDim}) with RoPE`, '2'));
      return undefined;
    }
    if (inputs.source && !sourceFits(p, inputs.source, x, ctx)) return undefined;
    return { out: x };
  },
  weights,
  flopsPerToken: (p, inputs, ctx) => {
    const { q, kv } = attentionDims(p);
    const t = inputs.x?.shape[1];
    // A symbolic length counts at the document's context size (dims.T) when it has one.
    const context = typeof t === 'number' ? t : (ctx.dims.T ?? 1);
    // Projections, then scores and weighted sum over the context (per token, one query).
    return 2 * p.width * (2 * q + 2 * kv) + 2 * 2 * q * context;
  },
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    const { kvHeads } = attentionDims(p);
    const project = (wm: string, b: string | undefined) => {
      const y = ctx.op({ op: 'MatMul', a: x.value, b: wm });
      return b ? ctx.op({ op: 'Add', a: y, b }) : y;
    };
    // [B, T, D] -> [B, T, H*Dh] (heads packed in the last axis, as ONNX Attention takes them).
    let q = project(w.wq as string, w.bq);
    let k = project(w.wk as string, w.bk);
    const v = project(w.wv as string, w.bv);
    if (p.rope) {
      q = ctx.op({ op: 'RotaryEmbedding', x: q, heads: p.heads, theta: p.ropeTheta });
      k = ctx.op({ op: 'RotaryEmbedding', x: k, heads: kvHeads, theta: p.ropeTheta });
    }
    const source = inputs.source;
    const att = ctx.op({
      op: 'Attention',
      q,
      k,
      v,
      qHeads: p.heads,
      kvHeads,
      causal: p.causal,
      ...(source ? { keyIds: source.value, padId: p.padId } : {}),
    });
    let out = ctx.op({ op: 'MatMul', a: att, b: w.wo as string });
    if (w.bo) out = ctx.op({ op: 'Add', a: out, b: w.bo });
    if (p.dropout > 0) out = ctx.op({ op: 'Dropout', x: out, rate: p.dropout });
    return { out: value(out, x) };
  },
});
