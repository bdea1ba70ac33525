import { int } from '../proto.ts';
import type { Emitter } from './emitter.ts';

export const Gather: Emitter<'Gather'> = ({ b }, op) =>
  void b.op('Gather', [op.data, op.indices], { axis: int(0) }, op.out);
