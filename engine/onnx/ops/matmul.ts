import type { Emitter } from './emitter.ts';
import { MS_DOMAIN } from '../builder.ts';
import type { EmitContext, OpOf } from '../context.ts';
import { DataType, int, tensor } from '../proto.ts';
import { quantizeBlockwise, quantizeInt8PerColumn } from '../quantize.ts';

/**
 * Weights smaller than this stay fp32 in every precision: the halting head's [D, 1] and small
 * classifier heads weigh nothing on disk, and full precision keeps their decisions exact.
 */
const MIN_QUANTIZED_ELEMENTS = 1024;
const BLOCK_SIZE = 32;

interface WeightOperand {
  /** Initializer name stem for the quantized forms. */
  name: string;
  k: number;
  n: number;
  /** [K, N] row-major. */
  values: Float32Array;
}

/** The right operand of a MatMul when it is a stored 2-D weight, or a tied head's transpose. */
function weightOperand(ctx: EmitContext, value: string): WeightOperand | undefined {
  const param = ctx.program.params.get(value);
  if (param && param.shape.length === 2) {
    const [k = 0, n = 0] = param.shape;
    return { name: value, k, n, values: ctx.values.get(value) as Float32Array };
  }
  const producer = ctx.producer.get(value);
  if (producer?.op !== 'Transpose' || producer.perm.join() !== '1,0') return undefined;
  const source = ctx.program.params.get(producer.x);
  if (!source || source.shape.length !== 2) return undefined;
  // A tied head reads the [V, D] embedding table as [D, V]: quantize the transposed copy.
  const [rows = 0, cols = 0] = source.shape;
  const data = ctx.values.get(producer.x) as Float32Array;
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) values[c * rows + r] = data[r * cols + c] as number;
  return { name: `${producer.x}.T`, k: cols, n: rows, values };
}

/**
 * Emits an IR MatMul in the export's precision. Precision policy, per weight:
 * - fp32, fp16: a plain MatMul (fp16 weights are widened once at session load).
 * - int8 (dynamic): activations quantized per tensor at run time (DynamicQuantizeLinear),
 *   weights per column, symmetric; onnxruntime fuses the pattern into DynamicQuantizeMatMul.
 *   Heads included: per-column scales keep the logits' ranking (checked by verification).
 * - int8-weight, int4: weight-only MatMulNBits (block 32, asymmetric, accuracy_level 4).
 *   In int4 the heads get 8 bits: their error lands directly on the logits, and a head is
 *   one matrix, so 8 bits there costs little size.
 * Embedding tables (Gather) stay fp32 in every quantized precision: a lookup gains no speed
 * from quantization and its error would enter every token at the bottom of the network.
 */
export function emitMatMul(ctx: EmitContext, op: OpOf<'MatMul'>): void {
  const { b } = ctx;
  const weight =
    ctx.precision === 'fp32' || ctx.precision === 'fp16' ? undefined : weightOperand(ctx, op.b);
  if (!weight || weight.k * weight.n < MIN_QUANTIZED_ELEMENTS) {
    b.op('MatMul', [op.a, op.b], {}, op.out);
    return;
  }
  if (ctx.precision === 'int8') {
    dynamicInt8(ctx, op.a, weight, op.out);
    return;
  }
  const head = ctx.heads.has(op.source);
  weightOnly(ctx, op.a, weight, ctx.precision === 'int4' && !head ? 4 : 8, op.out);
}

function dynamicInt8(ctx: EmitContext, a: string, w: WeightOperand, out: string): void {
  const { b } = ctx;
  const qName = `${w.name}.int8`;
  if (!b.initializers.has(qName)) {
    const { q, scales } = quantizeInt8PerColumn(w.values, w.k, w.n);
    b.initializer(tensor(qName, [w.k, w.n], DataType.INT8, q));
    b.initializer(tensor(`${w.name}.int8_scale`, [w.n], DataType.FLOAT, scales));
    b.initializer(tensor(`${w.name}.int8_zero`, [w.n], DataType.INT8, new Int8Array(w.n)));
  }
  // [.., K] float -> uint8 with one scale and zero point per call.
  const [aq, aScale, aZero] = b.multi('DynamicQuantizeLinear', [a], {}, { outputs: 3 }) as [
    string,
    string,
    string,
  ];
  const acc = b.op('MatMulInteger', [aq, qName, aZero, `${w.name}.int8_zero`]);
  const scale = b.op('Mul', [aScale, `${w.name}.int8_scale`]);
  b.op('Mul', [b.op('Cast', [acc], { to: int(DataType.FLOAT) }), scale], {}, out);
}

function weightOnly(ctx: EmitContext, a: string, w: WeightOperand, bits: 4 | 8, out: string): void {
  const { b } = ctx;
  const stem = `${w.name}.q${bits}`;
  const blocks = Math.ceil(w.k / BLOCK_SIZE);
  if (!b.initializers.has(stem)) {
    const q = quantizeBlockwise(w.values, w.k, w.n, bits, BLOCK_SIZE);
    b.initializer(tensor(stem, [w.n, blocks, (BLOCK_SIZE * bits) / 8], DataType.UINT8, q.packed));
    b.initializer(tensor(`${stem}_scale`, [w.n * blocks], DataType.FLOAT, q.scales));
    b.initializer(tensor(`${stem}_zero`, [q.zeroPoints.length], DataType.UINT8, q.zeroPoints));
  }
  b.op(
    'MatMulNBits',
    [a, stem, `${stem}_scale`, `${stem}_zero`],
    {
      K: int(w.k),
      N: int(w.n),
      bits: int(bits),
      block_size: int(BLOCK_SIZE),
      // Level 4 computes with int8 activations: 5–7× faster than fp32 at M = 1 here;
      // level 0 (fp32 compute) is 15–20× slower.
      accuracy_level: int(4),
    },
    out,
    MS_DOMAIN,
  );
}

export const MatMul: Emitter<'MatMul'> = emitMatMul;
