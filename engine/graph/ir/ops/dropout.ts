import { defineOp, fail, floats, type OpBase } from '../op-def.ts';

/** Zeroes a `rate` share of values while training (scaling the rest); the identity otherwise. */
export interface DropoutOp extends OpBase {
  op: 'Dropout';
  x: string;
  rate: number;
}

export const Dropout = defineOp<DropoutOp>({
  operands: ['x'],
  type(op, input) {
    if (!(op.rate >= 0 && op.rate < 1)) fail(op, `rate ${op.rate} is outside [0, 1)`);
    return { dtype: 'float32', shape: [...floats(op, input, op.x).shape] };
  },
});
