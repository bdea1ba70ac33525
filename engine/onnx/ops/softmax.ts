import { int } from '../proto.ts';
import type { Emitter } from './emitter.ts';

export const Softmax: Emitter<'Softmax'> = ({ b }, op) =>
  void b.op('Softmax', [op.x], { axis: int(op.axis) }, op.out);
