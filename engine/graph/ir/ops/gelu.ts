import { defineOp, floats, type OpBase } from '../op-def.ts';

/** GELU, exact (erf) or with the tanh approximation. */
export interface GeluOp extends OpBase {
  op: 'Gelu';
  x: string;
  approximate: 'none' | 'tanh';
}

export const Gelu = defineOp<GeluOp>({
  operands: ['x'],
  type: (op, input) => ({ dtype: 'float32', shape: [...floats(op, input, op.x).shape] }),
});
