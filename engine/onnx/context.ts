import type { IrOp, IrProgram } from '../graph/ir.ts';
import type { GraphBuilder } from './builder.ts';
import type { Dim } from '../graph/dims.ts';

/** Static shapes of the IR values (symbols for dynamic axes), and of values the emitter adds. */
export type ShapeMap = Map<string, Dim[]>;

export type Opset = 17 | 23;
export type Precision = 'fp32' | 'fp16' | 'int8' | 'int8-weight' | 'int4';

export type { OpOf } from '../graph/ir.ts';

/** Everything an op emitter needs: the graph under construction and what the IR says. */
export interface EmitContext {
  b: GraphBuilder;
  opset: Opset;
  precision: Precision;
  program: IrProgram;
  shapes: ShapeMap;
  /** Positions covered by the RoPE tables (the longest sequence the export accepts). */
  maxPositions: number;
  /** Float values of parameters and buffers, by IR name. */
  values: Map<string, Float32Array>;
  /** The op that produced each IR value. */
  producer: Map<string, IrOp>;
  /** Source paths of head nodes (their MatMuls are the heads' projections). */
  heads: Set<string>;
}

/** Error for an IR op the target cannot express: names the op, the node and the opset. */
export class UnsupportedOpError extends Error {
  constructor(op: string, source: string, opset: number, why: string) {
    super(
      `ONNX export: ${op} from node ${source} cannot be emitted at opset ${opset}: ${why}. ` +
        `Choose the other opset or change the node.`,
    );
    this.name = 'UnsupportedOpError';
  }
}

export function lastDimOf(ctx: EmitContext, value: string): number {
  const shape = ctx.shapes.get(value) ?? [];
  const d = shape[shape.length - 1];
  if (typeof d !== 'number')
    throw new Error(`ONNX export: the last axis of ${value} is not a fixed size (${String(d)}).`);
  return d;
}
