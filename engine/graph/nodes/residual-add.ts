import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { sameShape } from '../dims.ts';
import { defineKind, type TensorType } from '../node-kind.ts';
import { value } from './common.ts';

export const ResidualAddParams = z.strictObject({});

const ports = ['a', 'b', 'c'] as const;

export const residualAdd = defineKind({
  kind: 'residual-add',
  title: 'Add',
  category: 'structure',
  doc: 'Element-wise sum of two or three tensors of the same shape (residuals, x + y + z).',
  params: ResidualAddParams,
  ports: () => ({
    inputs: [
      { name: 'a', doc: 'first summand', type: 'float' },
      { name: 'b', doc: 'second summand', type: 'float' },
      { name: 'c', doc: 'optional third summand', type: 'float', optional: true },
    ],
    outputs: [{ name: 'out', doc: 'sum', type: 'float' }],
  }),
  infer: (_p, inputs, ctx) => {
    const given = ports.map((k) => inputs[k]).filter((t): t is TensorType => t !== undefined);
    const first = given[0];
    if (!first) return undefined;
    for (const t of given.slice(1)) {
      if (!sameShape(first.shape, t.shape)) {
        ctx.report(messages.shapeMismatch(ctx.nodeId, first.shape, t.shape));
        return undefined;
      }
    }
    return { out: first };
  },
  weights: () => [],
  flopsPerToken: (_p, inputs) => {
    const d = inputs.a?.shape[inputs.a.shape.length - 1];
    return (typeof d === 'number' ? d : 1) * (inputs.c ? 2 : 1);
  },
  lower: (_p, inputs, ctx) => {
    const a = inputs.a;
    const b = inputs.b;
    if (!a || !b) return undefined;
    let sum = ctx.op({ op: 'Add', a: a.value, b: b.value });
    if (inputs.c) sum = ctx.op({ op: 'Add', a: sum, b: inputs.c.value });
    return { out: value(sum, a) };
  },
});
