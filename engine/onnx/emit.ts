import type { Dim } from '../graph/dims.ts';
import type { IrOp, IrProgram } from '../graph/ir.ts';
import { GraphBuilder, MS_DOMAIN } from './builder.ts';
import { UnsupportedOpError, type EmitContext, type Opset, type Precision } from './context.ts';
import { emitOp } from './ops.ts';
import { everyOp, unrollLoops } from '../graph/ir/unroll.ts';
import { mapOpInputs } from '../graph/ir/program.ts';
import { emitters } from './ops/index.ts';
import {
  DataType,
  floatTensor,
  int,
  IR_VERSION_FOR_OPSET,
  onnx,
  tensor,
  type DataTypeCode,
} from './proto.ts';
import { toFloat16Bits } from './quantize.ts';

/*
 * IR → ONNX. Choices, measured with onnxruntime-node 1.30 on this 2-core CPU:
 * - Opset 17 (IR version 8) by default: Attention, RotaryEmbedding, RMSNormalization and
 *   Gelu decomposed (opset17.ts); opset 23 (IR version 11) uses the fused operators.
 * - Recursions are IR Loops and become ONNX Loops (ops/loop.ts): the file does not grow with steps, and session
 *   load is 5–40× faster than the unrolled graph (trm-sudoku: 50 ms vs 2 s); run time at
 *   batch 64 is about equal, at batch 1 the nested Loops cost up to ~2× on a tiny TRM.
 *   `loops: false` unrolls.
 * - fp16: weights stored as halves and widened by a Cast that onnxruntime folds at load,
 *   compute in fp32. An fp16-compute graph runs (onnxruntime inserts casts on CPU) but was
 *   1.4× slower than fp32 on four 1024² MatMuls at M = 64, and no more accurate.
 * - int8: DynamicQuantizeLinear + MatMulInteger; int8-weight and int4: MatMulNBits
 *   (com.microsoft, block 32, accuracy_level 4). Policy in matmul.ts.
 */

export type { Opset, Precision } from './context.ts';
export { UnsupportedOpError } from './context.ts';

export const PRODUCER_NAME = 'trm-studio';
export const OPSETS: readonly Opset[] = [17, 23];
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'int8', 'int8-weight', 'int4'];

/** metadata_props keys the emitter writes itself; callers add `trm.graph`, `trm.vocabulary`, … */
export const META = {
  precision: 'trm.precision',
  opset: 'trm.opset',
  ioNames: 'trm.io_names',
  supervision: 'trm.supervision',
} as const;

export interface EmitOptions {
  opset: Opset;
  precision: Precision;
  /** Extra metadata_props (graph document JSON, vocabulary, tokenizer, training config). */
  metadata?: Record<string, string>;
  producerVersion?: string;
  /** Longest sequence the export accepts (RoPE table length); default: fixed T, else 2048. */
  maxPositions?: number;
  /** Recursions as ONNX Loops (file size independent of steps) or unrolled. @default true */
  loops?: boolean;
}

/** A graph input/output name safe for every host (C identifiers plus `.`). */
export function sanitizeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

function valueInfo(name: string, elemType: DataTypeCode, shape: readonly Dim[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function defaultMaxPositions(program: IrProgram): number {
  const fixed = program.inputs
    .filter((i) => i.role === 'tokens')
    .map((i) => i.shape[1])
    .filter((d): d is number => typeof d === 'number');
  return fixed.length > 0 ? Math.max(...fixed) : 2048;
}

/**
 * Parameters and buffers as initializers, each stored once under its IR name however many
 * ops (recursion steps, tied heads) read it. fp16 stores them as halves widened by a Cast
 * that onnxruntime folds at load: half the file, fp32 arithmetic.
 */
function addWeights(ctx: EmitContext, names: Iterable<string>): void {
  const { b } = ctx;
  for (const name of names) {
    const data = ctx.values.get(name) as Float32Array;
    const shape = ctx.shapes.get(name) as number[];
    if (ctx.precision === 'fp16') {
      b.initializer(tensor(`${name}.fp16`, shape, DataType.FLOAT16, toFloat16Bits(data)));
      b.op('Cast', [`${name}.fp16`], { to: int(DataType.FLOAT) }, name);
    } else {
      b.initializer(floatTensor(name, shape, data));
    }
  }
}

function checkValues(program: IrProgram, values: Map<string, Float32Array>): void {
  for (const [name, spec] of [...program.params, ...program.buffers]) {
    const data = values.get(name);
    const n = spec.shape.reduce((a, d) => a * d, 1);
    if (!data)
      throw new Error(
        `ONNX export: no values for weight "${name}". Pass the checkpoint that belongs to this graph.`,
      );
    if (data.length !== n)
      throw new Error(
        `ONNX export: weight "${name}" has ${data.length} values but its shape ${spec.shape.join('×')} needs ${n}. Pass the checkpoint that belongs to this graph.`,
      );
  }
}

/** IR program + weights → ONNX ModelProto bytes. Pure: no file system, no runtime. */
export function emitOnnx(
  source: IrProgram,
  weights: Map<string, Float32Array>,
  buffers: Map<string, Float32Array>,
  opts: EmitOptions,
): Uint8Array {
  const program = opts.loops === false ? unrollLoops(source) : source;
  if (!OPSETS.includes(opts.opset))
    throw new Error(`ONNX export: opset ${String(opts.opset)} is not offered; choose 17 or 23.`);
  if (!PRECISIONS.includes(opts.precision))
    throw new Error(
      `ONNX export: unknown precision "${String(opts.precision)}"; choose one of ${PRECISIONS.join(', ')}.`,
    );
  const allOps = everyOp(program.ops);
  for (const op of allOps)
    if (!Object.hasOwn(emitters, op.op))
      throw new UnsupportedOpError(
        String(op.op),
        op.source,
        opts.opset,
        'the emitter does not know this IR op',
      );
  const values = new Map([...weights, ...buffers]);
  checkValues(program, values);
  const b = new GraphBuilder(opts.opset);
  const producer = new Map<string, IrOp>(allOps.map((op) => [op.out, op]));
  const ctx: EmitContext = {
    b,
    opset: opts.opset,
    precision: opts.precision,
    program,
    shapes: new Map([...program.values].map(([name, t]) => [name, [...t.shape]])),
    maxPositions: opts.maxPositions ?? defaultMaxPositions(program),
    values,
    producer,
    heads: new Set(program.outputs.map((o) => o.node)),
  };
  const ioNames: Record<string, string> = {};
  const claim = (name: string): string => {
    const onnxName = sanitizeName(name);
    const taken = ioNames[onnxName];
    if (taken !== undefined && taken !== name)
      throw new Error(
        `ONNX export: "${taken}" and "${name}" both become the model input/output name "${onnxName}". Rename one of the nodes.`,
      );
    ioNames[onnxName] = name;
    return onnxName;
  };
  const inputs = program.inputs.map((i) => {
    const name = claim(i.name);
    if (name !== i.name) b.op('Identity', [name], {}, i.name);
    return valueInfo(name, i.dtype === 'int32' ? DataType.INT32 : DataType.FLOAT, i.shape);
  });
  addWeights(ctx, [...program.params.keys(), ...program.buffers.keys()]);
  const { ops, resolve } = dropIdentities(program.ops);
  for (const op of ops) emitOp(ctx, op);
  const outputs: ReturnType<typeof valueInfo>[] = [];
  const addOutput = (name: string, value: string, shape: readonly Dim[]) => {
    const onnxName = claim(name);
    b.op('Identity', [resolve(value)], {}, onnxName);
    outputs.push(valueInfo(onnxName, DataType.FLOAT, shape));
  };
  for (const o of program.outputs) addOutput(o.name, o.value, o.shape);
  const supervision = program.supervision;
  if (supervision) {
    // One supervision step: the host feeds `<state>.next` back as `<state>` until the halting
    // logit says stop. `<state>.init` is the initial state, computed from the tokens alone.
    for (const s of supervision.state) {
      addOutput(`${s.input}.next`, s.output, s.shape);
      addOutput(`${s.input}.init`, s.init, s.shape);
    }
  }
  b.prune(outputs.map((o) => o.name));
  const domains: { domain: string; version: number }[] = [{ domain: '', version: opts.opset }];
  if (b.domains.has(MS_DOMAIN)) domains.push({ domain: MS_DOMAIN, version: 1 });
  const metadata: Record<string, string> = {
    ...opts.metadata,
    [META.precision]: opts.precision,
    [META.opset]: String(opts.opset),
    [META.ioNames]: JSON.stringify(ioNames),
  };
  if (supervision) {
    metadata[META.supervision] = JSON.stringify({
      steps: supervision.steps,
      node: supervision.node,
      state: supervision.state.map((s) => ({
        input: sanitizeName(s.input),
        next: sanitizeName(`${s.input}.next`),
        init: sanitizeName(`${s.input}.init`),
      })),
    });
  }
  const model = {
    irVersion: IR_VERSION_FOR_OPSET[opts.opset],
    opsetImport: domains,
    producerName: PRODUCER_NAME,
    producerVersion: opts.producerVersion ?? '0.0.0',
    graph: {
      name: 'trm',
      node: b.nodes,
      initializer: [...b.initializers.values()],
      input: inputs,
      output: outputs,
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Drops StopGradient, Dropout and Identity at the top level (all the identity at inference).
 * Returns the ops and a resolver from an old value name to the one that now holds it.
 */
function dropIdentities(ops: IrOp[]): { ops: IrOp[]; resolve: (v: string) => string } {
  const alias = new Map<string, string>();
  const resolve = (v: string) => alias.get(v) ?? v;
  const kept: IrOp[] = [];
  for (const op of ops) {
    if (op.op === 'StopGradient' || op.op === 'Dropout' || op.op === 'Identity') {
      alias.set(op.out, resolve(op.x));
      continue;
    }
    kept.push(mapOpInputs(op, resolve));
  }
  return { ops: kept, resolve };
}
