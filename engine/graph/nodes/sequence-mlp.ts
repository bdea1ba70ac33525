import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind } from '../node-kind.ts';
import { expectActivations, size, value, weightInit } from './common.ts';
import { Activation, lowerMlp, mlpWeights } from './ffn.ts';

export const SequenceMlpParams = z.strictObject({
  length: size('Fixed sequence length L that the MLP mixes across.'),
  hidden: size('Hidden width of the token-mixing MLP.'),
  /** @default 'swiglu' (TRM's MLP-t) */
  activation: Activation.default('swiglu').describe('ReLU, GELU or SwiGLU.'),
  /** @default false */
  bias: z.boolean().default(false).describe('Biases on the projections.'),
  /** @default 'normal' */
  init: weightInit(),
});

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
    if (x.shape[1] !== p.length) {
      ctx.report({ ...messages.sequenceLength(ctx.nodeId, x.shape[1] ?? '?'), port: 'x' });
      return undefined;
    }
    return { out: x };
  },
  weights: (p) => mlpWeights(p.length, p.hidden, p.activation === 'swiglu', p.bias, p.init),
  flopsPerToken: (p, inputs) => {
    const d = inputs.x?.shape[2];
    // Per token: its share of mixing each of the D channels' L-long vectors.
    return (
      ((typeof d === 'number' ? d : 1) *
        2 *
        p.length *
        p.hidden *
        (p.activation === 'swiglu' ? 3 : 2)) /
      p.length
    );
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
