import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind, type WeightSpec } from '../node-kind.ts';
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

export const attention = defineKind({
  kind: 'attention',
  title: 'Attention',
  category: 'attention',
  doc: 'Multi-head self-attention (causal or bidirectional, optional RoPE and grouped KV heads).',
  params: AttentionParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, T, D]', type: 'float' }],
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
    const att = ctx.op({ op: 'Attention', q, k, v, qHeads: p.heads, kvHeads, causal: p.causal });
    let out = ctx.op({ op: 'MatMul', a: att, b: w.wo as string });
    if (w.bo) out = ctx.op({ op: 'Add', a: out, b: w.bo });
    if (p.dropout > 0) out = ctx.op({ op: 'Dropout', x: out, rate: p.dropout });
    return { out: value(out, x) };
  },
});
