import { broadcast, defineOp, fail, type OpBase, type OpDef } from '../op-def.ts';

/** Elementwise arithmetic with numpy broadcasting; both operands of one dtype. */
interface BinaryOp<K extends string> extends OpBase {
  op: K;
  a: string;
  b: string;
}

export type AddOp = BinaryOp<'Add'>;
export type SubOp = BinaryOp<'Sub'>;
export type MulOp = BinaryOp<'Mul'>;
export type DivOp = BinaryOp<'Div'>;

function binary<K extends string>(): OpDef<BinaryOp<K>> {
  return defineOp<BinaryOp<K>>({
    operands: ['a', 'b'],
    type(op, input) {
      const a = input(op.a);
      const b = input(op.b);
      if (a.dtype !== b.dtype) fail(op, `operands are ${a.dtype} and ${b.dtype}`);
      return { dtype: a.dtype, shape: broadcast(op, a.shape, b.shape) };
    },
  });
}

export const Add = binary<'Add'>();
export const Sub = binary<'Sub'>();
export const Mul = binary<'Mul'>();
export const Div = binary<'Div'>();
