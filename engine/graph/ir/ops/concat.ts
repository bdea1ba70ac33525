import type { Dim } from '../../dims.ts';
import { agree, axisIn, defineOp, fail, show, type OpBase } from '../op-def.ts';

/** Concatenation along `axis` (a KV cache's past and new keys/values). */
export interface ConcatOp extends OpBase {
  op: 'Concat';
  inputs: string[];
  axis: number;
}

export const Concat = defineOp<ConcatOp>({
  operands: ['inputs'],
  type(op, input) {
    if (op.inputs.length === 0) fail(op, 'nothing to concatenate');
    const parts = op.inputs.map(input);
    const first = parts[0] as (typeof parts)[number];
    const x = [...first.shape];
    const axis = axisIn(op, op.axis, x.length);
    for (const p of parts) {
      if (p.dtype !== first.dtype) fail(op, `operands are ${first.dtype} and ${p.dtype}`);
      if (p.shape.length !== x.length) fail(op, `${show(p.shape)} and ${show(x)} differ in rank`);
      p.shape.forEach((d, i) => {
        if (i !== axis) agree(op, d, x[i] as Dim, `${show(p.shape)} against ${show(x)}`);
      });
    }
    const sizes = parts.map((p) => p.shape[axis] as Dim);
    x[axis] = sizes.every((d) => typeof d === 'number')
      ? (sizes as number[]).reduce((a, d) => a + d, 0)
      : sizes.filter((d) => d !== 0).join('+');
    return { dtype: first.dtype, shape: x };
  },
});
