import { defineOp, fail, type OpBase } from '../op-def.ts';

/** Rows of `data` (axis 0) picked by int32 `indices`: an embedding lookup. */
export interface GatherOp extends OpBase {
  op: 'Gather';
  data: string;
  indices: string;
}

export const Gather = defineOp<GatherOp>({
  operands: ['data', 'indices'],
  type(op, input) {
    const data = input(op.data);
    const ids = input(op.indices);
    if (ids.dtype !== 'int32') fail(op, `indices "${op.indices}" are ${ids.dtype}, not int32`);
    if (data.shape.length === 0) fail(op, 'a scalar table has no rows');
    return { dtype: data.dtype, shape: [...ids.shape, ...data.shape.slice(1)] };
  },
});
