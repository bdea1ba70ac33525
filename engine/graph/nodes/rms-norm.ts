import { z } from 'zod';
import { messages } from '../diagnostics.ts';
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
  /**
   * @default 'width' — each position over its D channels. 'sequence': each channel over the
   * positions, as TRM-MLP's code normalises after token mixing (on the transposed tensor).
   */
  over: z
    .enum(['width', 'sequence'])
    .default('width')
    .describe(
      "Normalise each position over its channels, or each channel over the positions (TRM-MLP's norm after token mixing).",
    ),
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
  infer: (p, inputs, ctx) => {
    if (!expectActivations(ctx, 'x', inputs.x, p.width)) return undefined;
    if (p.over === 'sequence' && p.learnedScale) {
      ctx.report(
        messages.other(
          ctx.nodeId,
          'a learned scale is per channel, which a norm over the sequence does not have. Turn learnedScale off or normalise over the width.',
        ),
      );
      return undefined;
    }
    return { out: inputs.x };
  },
  weights: (p) =>
    p.learnedScale
      ? [{ local: 'scale', shape: [p.width], init: { kind: 'ones' }, decay: false }]
      : [],
  flopsPerToken: (p) => 4 * p.width,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    if (p.over === 'sequence') {
      // [B, L, D] -> [B, D, L], normalise over L, and back.
      const t = ctx.op({ op: 'Transpose', x: x.value, perm: [0, 2, 1] });
      const n = ctx.op({ op: 'RMSNormalization', x: t, epsilon: p.eps });
      return { out: value(ctx.op({ op: 'Transpose', x: n, perm: [0, 2, 1] }), x) };
    }
    return {
      out: value(ctx.op({ op: 'RMSNormalization', x: x.value, scale: w.scale, epsilon: p.eps }), x),
    };
  },
});
