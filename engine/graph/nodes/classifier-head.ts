import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind, type TensorType } from '../node-kind.ts';
import { expectActivations, matrixInit, size, weightInit } from './common.ts';

export const ClassifierHeadParams = z.strictObject({
  width: size('Input width D.'),
  classes: size('Number of classes (per position, or per sequence when pooled).'),
  /** @default 'none' — one prediction per position (TRM's per-cell head). */
  pool: z
    .enum(['none', 'first', 'mean'])
    .default('none')
    .describe('Per position, or pool the sequence first.'),
  /** @default false (TRM uses none) */
  bias: z.boolean().default(false).describe('Learned output bias.'),
  /** @default 'normal' */
  init: weightInit(),
  /** @default 0 — a TRM with a puzzle prefix answers for the cells after its P positions. */
  skip: z
    .number()
    .int()
    .min(0)
    .max(1 << 16)
    .default(0)
    .describe('Leading positions left out of the answer (a puzzle prefix; per-position only).'),
});
type ClassifierHeadParams = z.infer<typeof ClassifierHeadParams>;

function outType(p: ClassifierHeadParams, x: TensorType): TensorType {
  const [b = 'B', t = 'T'] = x.shape;
  const kept = p.skip > 0 && typeof t === 'number' ? t - p.skip : t;
  return { shape: p.pool === 'none' ? [b, kept, p.classes] : [b, p.classes], dtype: 'float32' };
}

export const classifierHead = defineKind({
  kind: 'classifier-head',
  title: 'Classifier head',
  category: 'heads',
  doc: 'Class logits per position (puzzle cells) or per sequence (pooled), never tied.',
  params: ClassifierHeadParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, T, D]', type: 'float' }],
    outputs: [{ name: 'logits', doc: 'logits [B, T, C] or [B, C]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    if (!expectActivations(ctx, 'x', inputs.x)) return undefined;
    if (inputs.x.shape[2] !== p.width) {
      ctx.report({
        ...messages.widthMismatch(ctx.nodeId, 'x', p.width, inputs.x.shape[2] ?? '?'),
        port: 'x',
      });
      return undefined;
    }
    if (p.skip > 0) {
      const t = inputs.x.shape[1];
      const why =
        p.pool !== 'none'
          ? 'skip leaves out leading positions of a per-position head; set pool to none or skip to 0'
          : typeof t !== 'number'
            ? `skip needs a fixed sequence length, but it is ${t ?? '?'}; give the token input a fixed length`
            : t <= p.skip
              ? `skip ${p.skip} leaves no position of the ${t} it receives`
              : undefined;
      if (why) {
        ctx.report({ ...messages.other(ctx.nodeId, `${why}.`), port: 'x' });
        return undefined;
      }
    }
    return { logits: outType(p, inputs.x) };
  },
  weights: (p) => [
    {
      local: 'weight',
      shape: [p.width, p.classes],
      init: matrixInit(p.init, p.width),
      decay: true,
    },
    ...(p.bias
      ? [{ local: 'bias', shape: [p.classes], init: { kind: 'zeros' as const }, decay: false }]
      : []),
  ],
  flopsPerToken: (p) => 2 * p.width * p.classes,
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    let h = x.value;
    if (p.pool === 'first') {
      // [B, T, D] -> [B, 1, D] -> [B, D]
      h = ctx.op({
        op: 'Reshape',
        x: ctx.op({ op: 'SlicePrefix', x: h, axis: 1, length: 1 }),
        shape: [0, p.width],
      });
    } else if (p.pool === 'mean') {
      h = ctx.op({ op: 'ReduceMean', x: h, axis: 1 });
    } else if (p.skip > 0 && typeof x.shape[1] === 'number') {
      // [B, P+L, D] -> [B, L, D]: the cells after the prefix.
      h = ctx.op({ op: 'SlicePrefix', x: h, axis: 1, start: p.skip, length: x.shape[1] - p.skip });
    }
    let logits = ctx.op({ op: 'MatMul', a: h, b: w.weight as string });
    if (w.bias) logits = ctx.op({ op: 'Add', a: logits, b: w.bias });
    const t = outType(p, x);
    ctx.output(logits, 'logits', t);
    return { logits: { value: logits, ...t } };
  },
});
