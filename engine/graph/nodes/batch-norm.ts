import { z } from 'zod';
import type { Dim } from '../dims.ts';
import { messages } from '../diagnostics.ts';
import { defineKind } from '../node-kind.ts';
import { size, value } from './common.ts';

export const BatchNormParams = z.strictObject({
  width: size('Channels C (the last axis).'),
  /** @default 1e-5 */
  eps: z.number().positive().max(1).default(1e-5).describe('Added to the variance for stability.'),
  /** @default 0.1 */
  momentum: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe("Weight of each training batch's statistics in the running ones (PyTorch's)."),
  /** @default true */
  affine: z.boolean().default(true).describe('Learned scale (γ) and bias (β).'),
});

/**
 * PyTorch's BatchNorm1d over the channel (last) axis of [B, ..., C]: training steps normalise
 * with the batch's statistics (over every axis but the channel) and update running ones, which
 * evaluation, generation and exports use. The running mean and variance are running buffers:
 * not trained by gradients, saved with the weights.
 */
export const batchNorm = defineKind({
  kind: 'batch-norm',
  title: 'BatchNorm',
  category: 'normalization',
  doc: 'Normalizes each channel over the batch (running statistics outside training), then scales and shifts.',
  params: BatchNormParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, ..., C]', type: 'float' }],
    outputs: [{ name: 'out', doc: 'normalized [B, ..., C]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!x) return undefined;
    if (x.shape.length < 2) {
      ctx.report({
        ...messages.rankMismatch(ctx.nodeId, 'x', 'a [B, ..., C] tensor', x.shape),
        port: 'x',
      });
      return undefined;
    }
    const got = x.shape[x.shape.length - 1] as Dim;
    if (got !== p.width) {
      ctx.report({ ...messages.widthMismatch(ctx.nodeId, 'x', p.width, got), port: 'x' });
      return undefined;
    }
    if (x.shape.length >= 3 && ctx.causal())
      ctx.report({
        severity: 'warning',
        ...messages.batchNormCausal(ctx.nodeId, x.shape),
        port: 'x',
      });
    return { out: x };
  },
  weights: (p) =>
    p.affine
      ? [
          { local: 'scale', shape: [p.width], init: { kind: 'ones' }, decay: false },
          { local: 'bias', shape: [p.width], init: { kind: 'zeros' }, decay: false },
        ]
      : [],
  flopsPerToken: (p) => 6 * p.width,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    const out = ctx.op({
      op: 'BatchNormalization',
      x: x.value,
      scale: w.scale,
      bias: w.bias,
      mean: ctx.buffer('running_mean', [p.width], { kind: 'zeros' }, true),
      var: ctx.buffer('running_var', [p.width], { kind: 'ones' }, true),
      epsilon: p.eps,
      momentum: p.momentum,
    });
    return { out: value(out, x) };
  },
});
