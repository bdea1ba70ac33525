import { int } from '../proto.ts';
import type { Emitter } from './emitter.ts';

/** Slice x along `axis` to the run-time size of `like` along `likeAxis`. */
export const SliceLike: Emitter<'SliceLike'> = ({ b, shapes }, op) => {
  // Shape's `end` is exclusive: likeAxis −1 must become rank − 1, or end 0 reads nothing.
  const rank = shapes.get(op.like)?.length ?? 0;
  const axis = op.likeAxis < 0 ? op.likeAxis + rank : op.likeAxis;
  const end = b.op('Shape', [op.like], { start: int(axis), end: int(axis + 1) });
  if (!op.offsetLike && !op.start) {
    b.op('Slice', [op.x, b.int64s([0]), end, b.int64s([op.axis])], {}, op.out);
    return;
  }
  // Positions s+P..s+P+T−1 after a KV cache of length P, from a fixed first position s.
  const fixed = b.int64s([op.start ?? 0]);
  const start = op.offsetLike
    ? b.op('Add', [fixed, b.op('Shape', [op.offsetLike], { start: int(1), end: int(2) })])
    : fixed;
  const stop = b.op('Add', [start, end]);
  b.op('Slice', [op.x, start, stop, b.int64s([op.axis])], {}, op.out);
};
