import { defineOp, fail, show, type OpBase } from '../op-def.ts';
import type { Dim } from '../../dims.ts';

/** Axes permuted: output axis i is input axis perm[i]. */
export interface TransposeOp extends OpBase {
  op: 'Transpose';
  x: string;
  perm: number[];
}

export const Transpose = defineOp<TransposeOp>({
  operands: ['x'],
  type(op, input) {
    const x = input(op.x);
    const sorted = [...op.perm].sort((a, b) => a - b);
    if (op.perm.length !== x.shape.length || sorted.some((p, i) => p !== i))
      fail(op, `perm ${show(op.perm)} is not a permutation of ${show(x.shape)}'s axes`);
    return { dtype: x.dtype, shape: op.perm.map((p) => x.shape[p] as Dim) };
  },
});
