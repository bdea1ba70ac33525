import type { Emitter } from './emitter.ts';

export const BroadcastLike: Emitter<'BroadcastLike'> = ({ b }, op) =>
  void b.op('Expand', [op.x, b.op('Shape', [op.like])], {}, op.out);
