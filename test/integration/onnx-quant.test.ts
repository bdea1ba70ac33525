import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emitOnnx, type Precision } from '../../engine/onnx/emit.ts';
import { createSession, runOnnx } from '../../engine/onnx-runtime/verify.ts';
import { randomFloats, tinyProgram } from './onnx-support.ts';
import { materialize } from '../../engine/graph/init.ts';

// Quantized MatMuls in onnxruntime against the exact float64 product: the emitted layouts
// (MatMulNBits packing, MatMulInteger scales) must mean what quantize.ts says they mean.

const B = 4;
const T = 8;
const K = 96; // three blocks of 32
const N = 48;

function relativeError(got: Float32Array, want: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += ((got[i] as number) - (want[i] as number)) ** 2;
    den += (want[i] as number) ** 2;
  }
  return Math.sqrt(num / den);
}

describe('quantized MatMul in onnxruntime', () => {
  // The Scale makes the MatMul a body op, not the head (int4 gives heads 8 bits).
  const program = tinyProgram({ x: ['B', 'T', K] }, { w: [K, N] }, [
    { op: 'MatMul', a: 'x', b: 'w' },
    { op: 'Scale', x: 'y0', factor: 1 },
  ]);
  const w = materialize({ kind: 'normal', std: 0.05 }, [K, N], 3);
  const x = randomFloats(B * T * K, 5);
  const exact = new Float64Array(B * T * N);
  for (let r = 0; r < B * T; r++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let i = 0; i < K; i++) s += (x[r * K + i] as number) * (w[i * N + j] as number);
      exact[r * N + j] = s;
    }

  // Bounds: int8 paths lose ~0.5–1% to weight and activation rounding; int4 ~8% to weights.
  const bounds: [Precision, number][] = [
    ['fp32', 1e-6],
    ['fp16', 1e-3],
    ['int8', 0.02],
    ['int8-weight', 0.02],
    ['int4', 0.1],
  ];
  for (const [precision, bound] of bounds) {
    for (const opset of [17, 23] as const) {
      it(`${precision} at opset ${opset} stays within ${bound * 100}% of the exact product`, async () => {
        const bytes = emitOnnx(program, new Map([['w', w]]), new Map(), { opset, precision });
        const session = await createSession(bytes);
        const out = await runOnnx(session, { x: { data: x, dims: [B, T, K] } });
        await session.release();
        const err = relativeError(out.y!, exact);
        assert.ok(err < bound, `relative error ${err}`);
        if (precision !== 'fp32') assert.ok(err > 1e-4, 'the quantized path must actually run');
        if (precision === 'int4') assert.ok(err > 0.02, 'int4 must use 4 bits in the body');
      });
    }
  }
});
