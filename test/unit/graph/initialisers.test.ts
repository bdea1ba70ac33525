import assert from 'node:assert/strict';
import { test } from 'node:test';
import { materialize, TRUNCATED_STD } from '../../../engine/graph/init.ts';
import type { Init } from '../../../engine/graph/ir.ts';
import { findKind } from '../../../engine/graph/nodes/index.ts';

function stats(v: Float32Array): { std: number; mean: number; max: number } {
  let sum = 0;
  let sq = 0;
  let max = 0;
  for (const x of v) {
    sum += x;
    sq += x * x;
    max = Math.max(max, Math.abs(x));
  }
  const mean = sum / v.length;
  return { mean, std: Math.sqrt(sq / v.length - mean * mean), max };
}

/** The initial values of `kind`'s weight `local` with these params, by the kind's own spec. */
function weight(kind: string, params: Record<string, unknown>, local: string) {
  const k = findKind(kind)!;
  const parsed = k.params.parse(params) as never;
  const spec = k.weights(parsed, {}, {} as never).find((w) => w.local === local)!;
  assert.ok(spec, `${kind} has a weight ${local}`);
  return { spec, values: materialize(spec.init, spec.shape as number[], 11) };
}

test('the truncation constant is the std of a standard normal cut at ±2σ', () => {
  // √(1 − 4φ(2)/(Φ(2) − Φ(−2))), φ(2) = e⁻²/√(2π), Φ(2) − Φ(−2) = 0.9544997361036416.
  const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
  assert.ok(Math.abs(TRUNCATED_STD - Math.sqrt(1 - (4 * phi2) / 0.9544997361036416)) < 1e-12);
});

test('a corrected truncated normal has the std it names; an uncorrected one 0.88 of it', () => {
  const std = 1 / Math.sqrt(512);
  const corrected = stats(
    materialize({ kind: 'truncated-normal', std, corrected: true }, [400, 500], 3),
  );
  const plain = stats(materialize({ kind: 'truncated-normal', std }, [400, 500], 3));
  assert.ok(Math.abs(corrected.std / std - 1) < 0.01, `corrected std ${corrected.std / std}·σ`);
  assert.ok(Math.abs(plain.std / std - TRUNCATED_STD) < 0.01, `plain std ${plain.std / std}·σ`);
  assert.ok(Math.abs(corrected.mean) < 0.01 * std);
  // Truncated at ±2 of the pre-correction σ.
  assert.ok(corrected.max <= (2 * std) / TRUNCATED_STD + 1e-9);
  assert.ok(plain.max <= 2 * std + 1e-9);
});

test("'lecun' matrices start at std 1/√fan-in: attention (D and q), SwiGLU (D up, hidden down), heads, token mixing", () => {
  const D = 256;
  const cases: [string, Record<string, unknown>, string, number][] = [
    ['attention', { width: D, heads: 4, causal: false }, 'wq', D],
    ['attention', { width: D, heads: 4, headDim: 32, causal: false }, 'wo', 4 * 32],
    ['ffn', { width: D, hidden: 512, activation: 'swiglu' }, 'w1', D],
    ['ffn', { width: D, hidden: 512, activation: 'swiglu' }, 'w3', D],
    ['ffn', { width: D, hidden: 512, activation: 'swiglu' }, 'w2', 512],
    ['sequence-mlp', { length: 97, hidden: 512 }, 'w1', 97],
    ['classifier-head', { width: D, classes: 11 }, 'weight', D],
    ['lm-head', { width: D, vocab: 300 }, 'weight', D],
    ['linear', { inFeatures: D, outFeatures: 64 }, 'weight', D],
  ];
  for (const [kind, params, local, fanIn] of cases) {
    const { values } = weight(kind, { ...params, init: 'lecun' }, local);
    const { std } = stats(values);
    const want = 1 / Math.sqrt(fanIn);
    assert.ok(Math.abs(std / want - 1) < 0.05, `${kind}.${local}: std ${std}, want ${want}`);
    // The default stays GPT-2's N(0, 0.02), so existing documents train as before.
    const dflt = stats(weight(kind, params, local).values).std;
    assert.ok(Math.abs(dflt / 0.02 - 1) < 0.05, `${kind}.${local} default std ${dflt}`);
  }
});

test("TRM's other initialisers: halting weight zero with bias −5, embedding 1/√D truncated, states std 1", () => {
  const halt = weight('halting-head', { width: 64, initWeight: 'zeros' }, 'weight');
  assert.ok(halt.values.every((x) => x === 0));
  assert.deepEqual(Array.from(weight('halting-head', { width: 64 }, 'bias').values), [-5]);
  const emb = weight(
    'token-embedding',
    { vocab: 300, width: 256, scale: 'sqrt-width', truncated: true },
    'table',
  );
  const e = stats(emb.values);
  assert.ok(Math.abs(e.std * 16 - 1) < 0.05, `embedding std ${e.std}`);
  assert.ok(e.max <= 2 / 16 / TRUNCATED_STD + 1e-9);
  const state: Init = { kind: 'truncated-normal', std: 1, corrected: true };
  assert.ok(Math.abs(stats(materialize(state, [20_000], 5)).std - 1) < 0.02);
});

test('a kind without the init parameter refuses an unknown initialiser by name', () => {
  const r = findKind('attention')!.params.safeParse({ width: 8, heads: 2, init: 'xavier' });
  assert.ok(!r.success);
  assert.match(JSON.stringify(r.error.issues[0]), /init/);
});
