import { defineOp, floats, type OpBase, type OpDef } from '../op-def.ts';

/** Elementwise functions of one float operand; the output has its shape. */
interface UnaryOp<K extends string> extends OpBase {
  op: K;
  x: string;
}

export type ReluOp = UnaryOp<'Relu'>;
export type SigmoidOp = UnaryOp<'Sigmoid'>;
export type SiluOp = UnaryOp<'Silu'>;
export type TanhOp = UnaryOp<'Tanh'>;
export type IdentityOp = UnaryOp<'Identity'>;
/** The identity forward; no gradient flows back through it. */
export type StopGradientOp = UnaryOp<'StopGradient'>;

function unary<K extends string>(): OpDef<UnaryOp<K>> {
  return defineOp<UnaryOp<K>>({
    operands: ['x'],
    type: (op, input) => {
      const x = floats(op, input, op.x);
      return { dtype: x.dtype, shape: [...x.shape] };
    },
  });
}

export const Relu = unary<'Relu'>();
export const Sigmoid = unary<'Sigmoid'>();
export const Silu = unary<'Silu'>();
export const Tanh = unary<'Tanh'>();
export const StopGradient = unary<'StopGradient'>();

/** Identity passes any dtype (it also renames program inputs). */
export const Identity = defineOp<IdentityOp>({
  operands: ['x'],
  type: (op, input) => {
    const x = input(op.x);
    return { dtype: x.dtype, shape: [...x.shape] };
  },
});
