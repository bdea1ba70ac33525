import { str } from '../proto.ts';
import type { EmitContext } from '../context.ts';
import type { Emitter } from './emitter.ts';
import type { OpOf } from '../../graph/ir.ts';

function gelu17(ctx: EmitContext, op: OpOf<'Gelu'>): void {
  const { b } = ctx;
  const half = b.op('Mul', [op.x, b.floats([0.5], [])]);
  let inner: string;
  if (op.approximate === 'none') {
    // 0.5·x·(1 + erf(x / √2))
    inner = b.op('Erf', [b.op('Mul', [op.x, b.floats([Math.SQRT1_2], [])])]);
  } else {
    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    const cube = b.op('Mul', [b.op('Mul', [op.x, op.x]), op.x]);
    const poly = b.op('Add', [op.x, b.op('Mul', [cube, b.floats([0.044715], [])])]);
    inner = b.op('Tanh', [b.op('Mul', [poly, b.floats([Math.sqrt(2 / Math.PI)], [])])]);
  }
  b.op('Mul', [half, b.op('Add', [inner, b.floats([1], [])])], {}, op.out);
}

function gelu23(ctx: EmitContext, op: OpOf<'Gelu'>): void {
  ctx.b.op('Gelu', [op.x], { approximate: str(op.approximate) }, op.out);
}

/** ONNX has Gelu from opset 20; before, its erf or tanh formula. */
export const Gelu: Emitter<'Gelu'> = (ctx, op) =>
  ctx.opset >= 23 ? gelu23(ctx, op) : gelu17(ctx, op);
