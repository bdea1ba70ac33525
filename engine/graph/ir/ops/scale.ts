import { defineOp, floats, type OpBase } from '../op-def.ts';

/** x · factor, a constant known when the graph is compiled. */
export interface ScaleOp extends OpBase {
  op: 'Scale';
  x: string;
  factor: number;
}

export const Scale = defineOp<ScaleOp>({
  operands: ['x'],
  type: (op, input) => ({ dtype: 'float32', shape: [...floats(op, input, op.x).shape] }),
});
