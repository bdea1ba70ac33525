import { axisIn, defineOp, floats, type OpBase } from '../op-def.ts';

/** Softmax along one axis. */
export interface SoftmaxOp extends OpBase {
  op: 'Softmax';
  x: string;
  axis: number;
}

export const Softmax = defineOp<SoftmaxOp>({
  operands: ['x'],
  type(op, input) {
    const x = floats(op, input, op.x);
    axisIn(op, op.axis, x.shape.length);
    return { dtype: 'float32', shape: [...x.shape] };
  },
});
