import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import {
  defineKind,
  type KindContext,
  type LowerContext,
  type TensorType,
  type WeightSpec,
} from '../node-kind.ts';
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

/**
 * The four projections of an attention (and their biases): queries from width D, keys and
 * values from `keyWidth` (D for self-attention, the memory's for cross-attention), q and kv
 * packed head widths, the output back to D.
 */
export function projectionWeights(o: {
  width: number;
  keyWidth: number;
  q: number;
  kv: number;
  init: AttentionParams['init'];
  bias: boolean;
}): WeightSpec[] {
  const { width, keyWidth, q, kv, init } = o;
  const keys = matrixInit(init, keyWidth);
  const mats: WeightSpec[] = [
    { local: 'wq', shape: [width, q], init: matrixInit(init, width), decay: true },
    { local: 'wk', shape: [keyWidth, kv], init: keys, decay: true },
    { local: 'wv', shape: [keyWidth, kv], init: keys, decay: true },
    { local: 'wo', shape: [q, width], init: matrixInit(init, q), decay: true },
  ];
  if (!o.bias) return mats;
  return [
    ...mats,
    { local: 'bq', shape: [q], init: { kind: 'zeros' }, decay: false },
    { local: 'bk', shape: [kv], init: { kind: 'zeros' }, decay: false },
    { local: 'bv', shape: [kv], init: { kind: 'zeros' }, decay: false },
    { local: 'bo', shape: [width], init: { kind: 'zeros' }, decay: false },
  ];
}

function weights(p: AttentionParams): WeightSpec[] {
  const { q, kv } = attentionDims(p);
  return projectionWeights({
    width: p.width,
    keyWidth: p.width,
    q,
    kv,
    init: p.init,
    bias: p.bias,
  });
}

/**
 * Whether `source` is int32 token ids [B, n], one per key position (`keys`: their count, or
 * symbolic); if not, reports on the source port what it should be (`expected`).
 */
export function keyIdsFit(
  ctx: KindContext,
  source: TensorType,
  keys: TensorType['shape'][number] | undefined,
  expected: string,
): boolean {
  const s = source.shape[1];
  const ok =
    source.dtype === 'int32' &&
    source.shape.length === 2 &&
    (typeof s !== 'number' || typeof keys !== 'number' || s === keys);
  if (!ok)
    ctx.report({
      ...messages.rankMismatch(ctx.nodeId, 'source', expected, source.shape),
      port: 'source',
    });
  return ok;
}

/** A projection of `from` by weight `wm`, plus bias `b` when there is one. */
export function project(ctx: LowerContext, from: string, wm: string, b: string | undefined) {
  const y = ctx.op({ op: 'MatMul', a: from, b: wm });
  return b ? ctx.op({ op: 'Add', a: y, b }) : y;
}

/** Heads packed in the last axis back to width D by `wo` (+ `bo`), then dropout if any. */
export function outputProjection(
  ctx: LowerContext,
  att: string,
  w: Record<string, string | undefined>,
  dropout: number,
): string {
  let out = project(ctx, att, w.wo as string, w.bo);
  if (dropout > 0) out = ctx.op({ op: 'Dropout', x: out, rate: dropout });
  return out;
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
  return keyIdsFit(ctx, source, t, `token ids [B, ${String(t)}], one per position of x`);
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
    // [B, T, D] -> [B, T, H*Dh] (heads packed in the last axis, as ONNX Attention takes them).
    let q = project(ctx, x.value, w.wq as string, w.bq);
    let k = project(ctx, x.value, w.wk as string, w.bk);
    const v = project(ctx, x.value, w.wv as string, w.bv);
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
    return { out: value(outputProjection(ctx, att, w, p.dropout), x) };
  },
});
