import { int, ints } from '../proto.ts';
import type { Emitter } from './emitter.ts';

/** keepdims = 0, as the IR op removes the axis. Opset 18 moved `axes` to an input. */
export const ReduceMean: Emitter<'ReduceMean'> = ({ b, opset }, op) => {
  if (opset >= 18) b.op('ReduceMean', [op.x, b.int64s([op.axis])], { keepdims: int(0) }, op.out);
  else b.op('ReduceMean', [op.x], { axes: ints(op.axis), keepdims: int(0) }, op.out);
};
