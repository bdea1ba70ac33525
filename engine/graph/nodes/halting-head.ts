import { z } from 'zod';
import { defineKind } from '../node-kind.ts';
import { expectActivations, size } from './common.ts';

export const HaltingHeadParams = z.strictObject({
  width: size('Input width D.'),
  /** @default -5 — TRM starts by almost never halting. */
  initBias: z.number().min(-50).max(50).default(-5).describe('Initial bias of the halting logit.'),
  /** @default 'normal' — N(0, 0.02); TRM's code starts the weight at zero. */
  initWeight: z
    .enum(['normal', 'zeros'])
    .default('normal')
    .describe(
      "Initial weight: N(0, 0.02), or zeros (the TRM code's: every example starts at the bias).",
    ),
});

export const haltingHead = defineKind({
  kind: 'halting-head',
  title: 'Halting head',
  category: 'heads',
  doc: 'One logit per example from position 0: "the answer is already right, stop" (ACT).',
  params: HaltingHeadParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, T, D]', type: 'float' }],
    outputs: [{ name: 'halt', doc: 'halting logit [B]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) =>
    expectActivations(ctx, 'x', inputs.x, p.width)
      ? { halt: { shape: [inputs.x.shape[0] ?? 'B'], dtype: 'float32' } }
      : undefined,
  weights: (p) => [
    {
      local: 'weight',
      shape: [p.width, 1],
      init: p.initWeight === 'zeros' ? { kind: 'zeros' } : { kind: 'normal', std: 0.02 },
      decay: true,
    },
    { local: 'bias', shape: [1], init: { kind: 'constant', value: p.initBias }, decay: false },
  ],
  flopsPerToken: (p) => 2 * p.width,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    // [B, T, D] -> [B, 1, D] -> [B, D] -> [B, 1] -> [B]
    const first = ctx.op({
      op: 'Reshape',
      x: ctx.op({ op: 'SlicePrefix', x: x.value, axis: 1, length: 1 }),
      shape: [0, p.width],
    });
    const logit = ctx.op({
      op: 'Add',
      a: ctx.op({ op: 'MatMul', a: first, b: w.weight as string }),
      b: w.bias as string,
    });
    const halt = ctx.op({ op: 'Reshape', x: logit, shape: [-1] });
    const t = { shape: [x.shape[0] ?? 'B'], dtype: 'float32' as const };
    ctx.output(halt, 'halt', t);
    return { halt: { value: halt, ...t } };
  },
});
