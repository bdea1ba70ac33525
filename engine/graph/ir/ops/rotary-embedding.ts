import { defineOp, fail, floats, show, type OpBase } from '../op-def.ts';

/** Rotary position embedding (rotate-half form) of [B, T, heads·Dh], per head. */
export interface RotaryEmbeddingOp extends OpBase {
  op: 'RotaryEmbedding';
  x: string;
  heads: number;
  theta: number;
  /** Positions start at the size of this value's axis 1 (the cached length P). */
  offsetLike?: string;
}

export const RotaryEmbedding = defineOp<RotaryEmbeddingOp>({
  operands: ['x', 'offsetLike'],
  type(op, input) {
    const x = floats(op, input, op.x).shape;
    if (x.length !== 3) fail(op, `${show(x)} is not [B, T, heads·Dh]`);
    const width = x[2];
    if (typeof width === 'number' && (width / op.heads) % 2 !== 0)
      fail(op, `width ${width} over ${op.heads} heads is not an even head size`);
    if (op.offsetLike !== undefined && input(op.offsetLike).shape.length < 2)
      fail(op, `"${op.offsetLike}" has no axis 1 to read the cached length from`);
    return { dtype: 'float32', shape: [...x] };
  },
});
