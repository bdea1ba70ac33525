import { z } from 'zod';
import { defineKind } from '../node-kind.ts';
import { expectActivations, size, value } from './common.ts';

export const RmsNormParams = z.strictObject({
  width: size('Width D of the normalized axis.'),
  /** @default 1e-5 (the TRM paper's value) */
  eps: z
    .number()
    .positive()
    .max(1)
    .default(1e-5)
    .describe('Added to the mean square for stability.'),
  /** @default true — TRM uses RMSNorm without a learned scale. */
  learnedScale: z.boolean().default(true).describe('Learned per-channel scale (TRM uses none).'),
});

export const rmsNorm = defineKind({
  kind: 'rms-norm',
  title: 'RMSNorm',
  category: 'normalization',
  doc: 'Divides each position by its root mean square (no mean subtraction), optionally scaled.',
  params: RmsNormParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, T, D]', type: 'float' }],
    outputs: [{ name: 'out', doc: 'normalized [B, T, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) =>
    expectActivations(ctx, 'x', inputs.x, p.width) ? { out: inputs.x } : undefined,
  weights: (p) =>
    p.learnedScale
      ? [{ local: 'scale', shape: [p.width], init: { kind: 'ones' }, decay: false }]
      : [],
  flopsPerToken: (p) => 4 * p.width,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    return {
      out: value(ctx.op({ op: 'RMSNormalization', x: x.value, scale: w.scale, epsilon: p.eps }), x),
    };
  },
});
