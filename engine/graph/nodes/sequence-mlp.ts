import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind, type TensorType } from '../node-kind.ts';
import { expectActivations, size, value, weightInit } from './common.ts';
import { Activation, lowerMlp, mlpWeights } from './ffn.ts';

export const SequenceMlpParams = z.strictObject({
  /** @default the input's sequence length, which must be fixed */
  length: size(
    "Fixed sequence length L that the MLP mixes across (default: the input's, prefix included).",
  ).optional(),
  hidden: size('Hidden width of the token-mixing MLP.'),
  /** @default 'swiglu' (TRM's MLP-t) */
  activation: Activation.default('swiglu').describe('ReLU, GELU or SwiGLU.'),
  /** @default false */
  bias: z.boolean().default(false).describe('Biases on the projections.'),
  /** @default 'normal' */
  init: weightInit(),
});

/** The length mixed: the parameter, else the input's fixed length (1 until one is known). */
function mixedLength(p: { length?: number | undefined }, x: TensorType | undefined): number {
  if (p.length !== undefined) return p.length;
  const t = x?.shape[1];
  return typeof t === 'number' ? t : 1;
}

export const sequenceMlp = defineKind({
  kind: 'sequence-mlp',
  title: 'Sequence MLP',
  category: 'mixing',
  doc: 'Attention-free token mixing: an MLP across the sequence axis (TRM-MLP, MLP-Mixer).',
  params: SequenceMlpParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, L, D]', type: 'float' }],
    outputs: [{ name: 'out', doc: 'mixed activations [B, L, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!expectActivations(ctx, 'x', x)) return undefined;
    if (typeof x.shape[1] !== 'number' || (p.length !== undefined && x.shape[1] !== p.length)) {
      ctx.report({ ...messages.sequenceLength(ctx.nodeId, x.shape[1] ?? '?'), port: 'x' });
      return undefined;
    }
    return { out: x };
  },
  weights: (p, inputs) =>
    mlpWeights(mixedLength(p, inputs.x), p.hidden, p.activation === 'swiglu', p.bias, p.init),
  // Per token: its share of mixing each of the D channels' L-long vectors, 2·L·hidden·(2|3)/L.
  flopsPerToken: (p, inputs) => {
    const d = inputs.x?.shape[2];
    return (typeof d === 'number' ? d : 1) * 2 * p.hidden * (p.activation === 'swiglu' ? 3 : 2);
  },
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    // [B, L, D] -> [B, D, L]: mix along L, then back.
    const t = ctx.op({ op: 'Transpose', x: x.value, perm: [0, 2, 1] });
    const mixed = lowerMlp(ctx, t, p.activation, w);
    return { out: value(ctx.op({ op: 'Transpose', x: mixed, perm: [0, 2, 1] }), x) };
  },
});
