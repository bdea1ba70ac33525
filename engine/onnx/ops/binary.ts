import type { Emitter } from './emitter.ts';

export const Add: Emitter<'Add'> = ({ b }, op) => void b.op('Add', [op.a, op.b], {}, op.out);
export const Sub: Emitter<'Sub'> = ({ b }, op) => void b.op('Sub', [op.a, op.b], {}, op.out);
export const Mul: Emitter<'Mul'> = ({ b }, op) => void b.op('Mul', [op.a, op.b], {}, op.out);
export const Div: Emitter<'Div'> = ({ b }, op) => void b.op('Div', [op.a, op.b], {}, op.out);
