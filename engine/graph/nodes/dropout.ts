import { z } from 'zod';
import { defineKind } from '../node-kind.ts';
import { prob, value } from './common.ts';

export const DropoutParams = z.strictObject({
  /** @default 0.1 */
  rate: prob('Fraction of activations zeroed while training (none at inference).').default(0.1),
});

export const dropout = defineKind({
  kind: 'dropout',
  title: 'Dropout',
  category: 'structure',
  doc: 'Zeroes a random fraction of activations while training; identity at inference.',
  params: DropoutParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations', type: 'float' }],
    outputs: [{ name: 'out', doc: 'activations', type: 'float' }],
  }),
  infer: (_p, inputs) => (inputs.x ? { out: inputs.x } : undefined),
  weights: () => [],
  flopsPerToken: () => 0,
  lower: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!x) return undefined;
    return {
      out: value(p.rate > 0 ? ctx.op({ op: 'Dropout', x: x.value, rate: p.rate }) : x.value, x),
    };
  },
});
