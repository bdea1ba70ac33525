import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind } from '../node-kind.ts';
import { matrixInit, size, weightInit, withLast } from './common.ts';

export const LinearParams = z.strictObject({
  inFeatures: size('Input width (last axis of the input).'),
  outFeatures: size('Output width.'),
  /** @default false */
  bias: z.boolean().default(false).describe('Add a learned bias.'),
  /** @default 'normal' */
  init: weightInit(),
});

export const linear = defineKind({
  kind: 'linear',
  title: 'Linear',
  category: 'structure',
  doc: 'Affine map over the last axis: [..., in] → [..., out].',
  params: LinearParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'input [..., in]', type: 'float' }],
    outputs: [{ name: 'out', doc: 'output [..., out]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!x) return undefined;
    const last = x.shape[x.shape.length - 1];
    if (last !== p.inFeatures) {
      ctx.report({
        ...messages.widthMismatch(ctx.nodeId, 'x', p.inFeatures, last ?? 'a scalar'),
        port: 'x',
      });
      return undefined;
    }
    return { out: withLast(x, p.outFeatures) };
  },
  weights: (p) => [
    {
      local: 'weight',
      shape: [p.inFeatures, p.outFeatures],
      init: matrixInit(p.init, p.inFeatures),
      decay: true,
    },
    ...(p.bias
      ? [{ local: 'bias', shape: [p.outFeatures], init: { kind: 'zeros' as const }, decay: false }]
      : []),
  ],
  flopsPerToken: (p) => 2 * p.inFeatures * p.outFeatures,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    let y = ctx.op({ op: 'MatMul', a: x.value, b: w.weight as string });
    if (w.bias) y = ctx.op({ op: 'Add', a: y, b: w.bias });
    const t = withLast(x, p.outFeatures);
    return { out: { value: y, ...t } };
  },
});
