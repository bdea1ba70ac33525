import type { IrOpName, OpOf } from '../../graph/ir.ts';
import type { EmitContext } from '../context.ts';

/** Emits the ONNX nodes computing one IR op at `ctx.opset`; the result is named `op.out`. */
export type Emitter<K extends IrOpName> = (ctx: EmitContext, op: OpOf<K>) => void;

/** Every IR op's emitter: a missing one is a compile error naming the op. */
export type Emitters = { readonly [K in IrOpName]: Emitter<K> };
