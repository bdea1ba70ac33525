import { int } from '../proto.ts';
import type { Emitter } from './emitter.ts';

export const Concat: Emitter<'Concat'> = ({ b }, op) =>
  void b.op('Concat', op.inputs, { axis: int(op.axis) }, op.out);
