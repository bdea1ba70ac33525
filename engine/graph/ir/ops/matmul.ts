import { broadcast, agree, defineOp, fail, floats, show, type OpBase } from '../op-def.ts';
import type { Dim } from '../../dims.ts';

/** Matrix product with numpy semantics (batched, broadcast batch axes, 1-D operands). */
export interface MatMulOp extends OpBase {
  op: 'MatMul';
  a: string;
  b: string;
}

export const MatMul = defineOp<MatMulOp>({
  operands: ['a', 'b'],
  type(op, input) {
    const a = floats(op, input, op.a).shape;
    const b = floats(op, input, op.b).shape;
    if (a.length === 0 || b.length === 0) fail(op, 'a scalar operand has no matrix product');
    const k = a[a.length - 1] as Dim;
    const kb = (b.length === 1 ? b[0] : b[b.length - 2]) as Dim;
    agree(op, k, kb, `inner sizes of ${show(a)} and ${show(b)} differ`);
    if (b.length === 1) return { dtype: 'float32', shape: a.slice(0, -1) };
    const batch = broadcast(op, a.slice(0, -2), b.slice(0, -2));
    const rows = a.length >= 2 ? [a[a.length - 2] as Dim] : [];
    return { dtype: 'float32', shape: [...batch, ...rows, b[b.length - 1] as Dim] };
  },
});
