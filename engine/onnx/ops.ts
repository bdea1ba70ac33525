import type { IrOp } from '../graph/ir.ts';
import { UnsupportedOpError, type EmitContext } from './context.ts';
import type { Emitter } from './ops/emitter.ts';
import { emitters } from './ops/index.ts';

/** Emits the ONNX nodes computing one IR op through its registry entry; named `op.out`. */
export function emitOp(ctx: EmitContext, op: IrOp): void {
  const emit = (emitters as Record<string, Emitter<IrOp['op']> | undefined>)[op.op];
  if (!emit)
    throw new UnsupportedOpError(
      String(op.op),
      op.source,
      ctx.opset,
      'the emitter does not know this IR op',
    );
  emit(ctx, op as never);
}
