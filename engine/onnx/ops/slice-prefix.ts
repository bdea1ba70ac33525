import type { Emitter } from './emitter.ts';

export const SlicePrefix: Emitter<'SlicePrefix'> = ({ b }, op) => {
  const start = op.start ?? 0;
  const bounds = [b.int64s([start]), b.int64s([start + op.length]), b.int64s([op.axis])];
  b.op('Slice', [op.x, ...bounds], {}, op.out);
};
