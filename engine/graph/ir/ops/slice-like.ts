import { axisIn, defineOp, type OpBase } from '../op-def.ts';

/** `x` sliced along `axis` to the size of `like` along `likeAxis` (positions up to T). */
export interface SliceLikeOp extends OpBase {
  op: 'SliceLike';
  x: string;
  axis: number;
  like: string;
  likeAxis: number;
  /** Start at the size of this value's axis 1 instead of 0 (positions after a KV cache). */
  offsetLike?: string;
  /**
   * A fixed first position, added to offsetLike's size: a decoder reading part of a longer
   * row (its tokens from row position `start` on) slices the row's position table there.
   * @default 0
   */
  start?: number;
}

export const SliceLike = defineOp<SliceLikeOp>({
  operands: ['x', 'like', 'offsetLike'],
  type(op, input) {
    const x = input(op.x);
    const like = input(op.like).shape;
    const shape = [...x.shape];
    shape[axisIn(op, op.axis, shape.length)] = like[axisIn(op, op.likeAxis, like.length)] as
      number | string;
    return { dtype: x.dtype, shape };
  },
});
