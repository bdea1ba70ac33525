import type { Dim } from '../../dims.ts';
import { defineOp, fail, show, type OpBase } from '../op-def.ts';

/** ONNX Reshape: 0 copies the input's size at that axis, −1 takes what is left. */
export interface ReshapeOp extends OpBase {
  op: 'Reshape';
  x: string;
  shape: number[];
}

export const Reshape = defineOp<ReshapeOp>({
  operands: ['x'],
  type(op, input) {
    const x = input(op.x);
    if (op.shape.filter((d) => d === -1).length > 1) fail(op, 'more than one −1 in the shape');
    const out: Dim[] = op.shape.map((d, i) => {
      if (d !== 0) return d;
      if (i >= x.shape.length) fail(op, `0 at axis ${i} copies an axis ${show(x.shape)} lacks`);
      return x.shape[i] as Dim;
    });
    const inferred = op.shape.indexOf(-1);
    const remaining = x.shape.filter((_, i) => op.shape[i] !== 0);
    let numeric = 1;
    const symbols: string[] = [];
    for (const d of remaining) {
      if (typeof d === 'number') numeric *= d;
      else symbols.push(d);
    }
    if (inferred < 0) {
      const size = (s: readonly Dim[]) =>
        s.every((d) => typeof d === 'number') ? (s as number[]).reduce((a, d) => a * d, 1) : NaN;
      const have = size(x.shape);
      const need = size(out);
      if (!Number.isNaN(have) && !Number.isNaN(need) && have !== need)
        fail(op, `${show(x.shape)} has ${have} values, ${show(out)} needs ${need}`);
      return { dtype: x.dtype, shape: out };
    }
    // Axes copied by 0 are already left out of `remaining`: divide by the other fixed sizes.
    for (const [i, d] of out.entries())
      if (i !== inferred && op.shape[i] !== 0 && typeof d === 'number') numeric /= d;
    if (symbols.length === 0 && !Number.isInteger(numeric))
      fail(op, `${show(x.shape)} does not divide into ${show(op.shape)}`);
    const sym = symbols.join('*');
    out[inferred] = sym === '' ? numeric : numeric === 1 ? sym : `${sym}*${numeric}`;
    return { dtype: x.dtype, shape: out };
  },
});
