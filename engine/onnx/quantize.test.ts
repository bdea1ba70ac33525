import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { materialize } from '../graph/init.ts';
import {
  dequantizeBlockwise,
  quantizeBlockwise,
  quantizeInt8PerColumn,
  toFloat16Bits,
} from './quantize.ts';

function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (a[i] as number) ** 2;
  }
  return Math.sqrt(num / den);
}

describe('weight quantization', () => {
  const K = 256;
  const N = 64;
  const gaussian = materialize({ kind: 'normal', std: 0.02 }, [K, N], 7);

  it('int4 blockwise keeps Gaussian weights within 10% relative error', () => {
    const q = quantizeBlockwise(gaussian, K, N, 4);
    const err = relativeError(gaussian, dequantizeBlockwise(q));
    // Plain min/max scaling gives 8.1% here; the clip search 7.9%.
    assert.ok(err < 0.1, `relative error ${err}`);
  });

  it('int8 blockwise and per-column stay within 1%', () => {
    const q8 = quantizeBlockwise(gaussian, K, N, 8);
    assert.ok(relativeError(gaussian, dequantizeBlockwise(q8)) < 0.01);
    const { q, scales } = quantizeInt8PerColumn(gaussian, K, N);
    const back = Float32Array.from(q, (v, i) => v * (scales[i % N] as number));
    assert.ok(relativeError(gaussian, back) < 0.01);
  });

  it('packs 4-bit codes low nibble first, zero points per column, padding past K', () => {
    // One column, K = 3 (padded to a block of 32): 0, 1, 3 lie on the grid of step 3/15.
    const w = Float32Array.from([0, 1, 3]);
    const q = quantizeBlockwise(w, 3, 1, 4, 32);
    assert.equal(q.packed.length, 16);
    assert.equal(q.zeroPoints.length, 1);
    const back = dequantizeBlockwise(q);
    for (const [i, v] of [0, 1, 3].entries()) assert.ok(Math.abs((back[i] as number) - v) < 1e-6);
    const zp = (q.zeroPoints[0] as number) & 15;
    assert.equal(q.packed[0]! & 15, zp); // code of 0 is the zero point
    assert.equal(q.packed[2]! & 15, zp); // padding dequantizes to 0
  });

  it('converts float32 to IEEE half bits with round-to-nearest-even', () => {
    const bits = toFloat16Bits(
      Float32Array.from([
        1,
        -2,
        0.1,
        65504,
        1e6,
        2 ** -24,
        2 ** -26,
        0,
        -Infinity,
        NaN,
        1 + 2 ** -11,
      ]),
    );
    assert.deepEqual(
      Array.from(bits.slice(0, 9)),
      [0x3c00, 0xc000, 0x2e66, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0000, 0xfc00],
    );
    assert.equal((bits[9] as number) & 0x7c00, 0x7c00);
    assert.ok((bits[9] as number) & 0x3ff, 'NaN keeps a mantissa bit');
    assert.equal(bits[10], 0x3c00, 'a tie rounds to the even neighbour');
  });
});
