/**
 * RoPE tables [positions, headDim / 2] for the non-interleaved (rotate-half) form that ONNX
 * RotaryEmbedding uses by default: angle(p, i) = p · θ^(−2i / headDim). Computed in float64
 * and rounded once, so both opsets read the same numbers.
 */
export function ropeTables(
  positions: number,
  headDim: number,
  theta: number,
): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * Math.pow(theta, (-2 * i) / headDim);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
