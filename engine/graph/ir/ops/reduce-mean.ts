import { axisIn, defineOp, floats, type OpBase } from '../op-def.ts';

/** Mean over one axis, which is removed (ONNX keepdims = 0). */
export interface ReduceMeanOp extends OpBase {
  op: 'ReduceMean';
  x: string;
  axis: number;
}

export const ReduceMean = defineOp<ReduceMeanOp>({
  operands: ['x'],
  type(op, input) {
    const x = floats(op, input, op.x);
    const axis = axisIn(op, op.axis, x.shape.length);
    return { dtype: 'float32', shape: x.shape.filter((_, i) => i !== axis) };
  },
});
