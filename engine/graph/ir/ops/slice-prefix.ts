import { axisIn, defineOp, fail, show, type OpBase } from '../op-def.ts';

/** Positions start..start+length−1 of `axis` (start 0 when absent: the prefix). */
export interface SlicePrefixOp extends OpBase {
  op: 'SlicePrefix';
  x: string;
  axis: number;
  length: number;
  start?: number;
}

export const SlicePrefix = defineOp<SlicePrefixOp>({
  operands: ['x'],
  type(op, input) {
    const x = input(op.x);
    const shape = [...x.shape];
    const axis = axisIn(op, op.axis, shape.length);
    const have = shape[axis];
    const end = (op.start ?? 0) + op.length;
    if (typeof have === 'number' && end > have)
      fail(op, `positions up to ${end} of ${show(x.shape)}'s axis ${axis}`);
    shape[axis] = op.length;
    return { dtype: x.dtype, shape };
  },
});
