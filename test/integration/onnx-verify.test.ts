import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emitOnnx } from '../../engine/onnx/emit.ts';
import { verifyExport } from '../../engine/onnx-runtime/verify.ts';
import { randomFloats, tinyProgram } from './onnx-support.ts';

// verifyExport against hand-made references: it must pass the truth and fail a lie.

describe('verifyExport', () => {
  // y = x · w with w = [[1, 0, 0], [0, 2, 0]] (x [B, T, 2] → [B, T, 3]).
  const program = tinyProgram({ x: ['B', 'T', 2] }, { w: [2, 3] }, [
    { op: 'MatMul', a: 'x', b: 'w' },
  ]);
  const w = Float32Array.from([1, 0, 0, 0, 2, 0]);
  const bytes = emitOnnx(program, new Map([['w', w]]), new Map(), { opset: 17, precision: 'fp32' });
  const x = randomFloats(2 * 3 * 2, 9);
  const truth = new Float32Array(2 * 3 * 3);
  for (let r = 0; r < 6; r++) {
    truth[r * 3] = x[r * 2] as number;
    truth[r * 3 + 1] = 2 * (x[r * 2 + 1] as number);
  }
  const feeds = { x: { data: x, dims: [2, 3, 2] } };

  it('passes the exact reference with zero error and full top-1 agreement', async () => {
    const report = await verifyExport(bytes, {
      precision: 'fp32',
      feeds,
      reference: { y: truth },
      logits: { y: 3 },
      latencyRuns: 2,
    });
    assert.equal(report.ok, true);
    assert.ok(report.maxAbsError < 1e-7);
    assert.equal(report.top1Agreement, 1);
    assert.equal(report.fileBytes, bytes.length);
    assert.ok(report.latencyMs && report.latencyMs.batch64 > 0);
  });

  it('fails a reference that differs, naming the threshold', async () => {
    const wrong = truth.map((v, i) => (i % 3 === 2 ? 10 : v));
    const report = await verifyExport(bytes, {
      precision: 'fp32',
      feeds,
      reference: { y: wrong },
      logits: { y: 3 },
      latencyRuns: 0,
    });
    assert.equal(report.ok, false);
    assert.ok(report.top1Agreement !== undefined && report.top1Agreement < 0.5);
    assert.match(
      report.failures.join(' '),
      /outputs differ from the reference .*max abs error .*more than the 0.0001 allowed \(fp32\)/,
    );
  });
});
