import type { Emitter } from './emitter.ts';

export const Reshape: Emitter<'Reshape'> = ({ b }, op) =>
  void b.op('Reshape', [op.x, b.int64s(op.shape)], {}, op.out);
