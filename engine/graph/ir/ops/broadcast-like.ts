import { broadcast, defineOp, type OpBase } from '../op-def.ts';

/** `x` broadcast to the shape `x` and `like` broadcast to together (a state to the batch). */
export interface BroadcastLikeOp extends OpBase {
  op: 'BroadcastLike';
  x: string;
  like: string;
}

export const BroadcastLike = defineOp<BroadcastLikeOp>({
  operands: ['x', 'like'],
  type(op, input) {
    const x = input(op.x);
    return { dtype: x.dtype, shape: broadcast(op, x.shape, input(op.like).shape) };
  },
});
