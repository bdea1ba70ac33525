import type { Emitter } from './emitter.ts';

export const Scale: Emitter<'Scale'> = ({ b }, op) =>
  void b.op('Mul', [op.x, b.floats([op.factor], [])], {}, op.out);
