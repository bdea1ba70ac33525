import { z } from 'zod';
import { defineKind } from '../node-kind.ts';
import { expectActivations, size, value } from './common.ts';

export const LayerNormParams = z.strictObject({
  width: size('Width D of the normalized axis.'),
  /** @default 1e-5 */
  eps: z.number().positive().max(1).default(1e-5).describe('Added to the variance for stability.'),
  /** @default true */
  bias: z.boolean().default(true).describe('Learned bias (β) besides the scale (γ).'),
});

export const layerNorm = defineKind({
  kind: 'layer-norm',
  title: 'LayerNorm',
  category: 'normalization',
  doc: 'Normalizes each position to zero mean and unit variance, then scales (and shifts).',
  params: LayerNormParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, T, D]', type: 'float' }],
    outputs: [{ name: 'out', doc: 'normalized [B, T, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) =>
    expectActivations(ctx, 'x', inputs.x, p.width) ? { out: inputs.x } : undefined,
  weights: (p) => [
    { local: 'scale', shape: [p.width], init: { kind: 'ones' }, decay: false },
    ...(p.bias
      ? [{ local: 'bias', shape: [p.width], init: { kind: 'zeros' as const }, decay: false }]
      : []),
  ],
  flopsPerToken: (p) => 8 * p.width,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    const out = ctx.op({
      op: 'LayerNormalization',
      x: x.value,
      scale: w.scale,
      bias: w.bias,
      epsilon: p.eps,
    });
    return { out: value(out, x) };
  },
});
