import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { beamSearch, generate, type NextLogits } from './generate.ts';
import { SamplingConfig } from '../contract/sampling.ts';
import { createRng, filteredProbabilities, pickToken } from './sampling.ts';

const cfg = (over: Partial<SamplingConfig> = {}) => SamplingConfig.parse(over);

describe('sampling', () => {
  it('greedy picks the argmax', () => {
    assert.equal(pickToken([0.1, 3, -2, 2.9], cfg(), createRng(0)), 1);
  });

  it('rejects NaN or infinite logits with a sentence, greedy, sampled and in beam search', async () => {
    const diverged = /NaN or infinite logits.*Retrain with a lower learning rate/;
    assert.throws(() => pickToken([0.1, NaN, 2], cfg(), createRng(0)), diverged);
    assert.throws(() => pickToken([NaN, 1], cfg({ temperature: 1 }), createRng(0)), diverged);
    assert.throws(() => pickToken([0, Infinity], cfg({ temperature: 1 }), createRng(0)), diverged);
    assert.throws(() => pickToken([-Infinity, -Infinity], cfg(), createRng(0)), diverged);
    const next: NextLogits = async (seqs) => seqs.map(() => new Float32Array([1, NaN]));
    await assert.rejects(beamSearch(next, [0], cfg({ beams: 2 }), { contextLength: 4 }), diverged);
    // -Infinity rules a token out but is not an error.
    assert.equal(pickToken([-Infinity, 1, 0], cfg({ temperature: 1 }), createRng(0)) > 0, true);
  });

  it('top-k keeps exactly k tokens, renormalized', () => {
    const p = filteredProbabilities([1, 2, 3, 4], { temperature: 1, topK: 2, topP: 1 });
    assert.equal(p[0], 0);
    assert.equal(p[1], 0);
    const e3 = Math.exp(3);
    const e4 = Math.exp(4);
    assert.ok(Math.abs((p[3] as number) - e4 / (e3 + e4)) < 1e-12);
    assert.ok(Math.abs((p[2] as number) + (p[3] as number) - 1) < 1e-12);
  });

  it('top-p keeps the smallest set reaching p', () => {
    // probabilities ≈ [0.032, 0.087, 0.237, 0.644]: p = 0.8 keeps the two largest.
    const p = filteredProbabilities([1, 2, 3, 4], { temperature: 1, topK: 0, topP: 0.8 });
    assert.deepEqual(
      Array.from(p, (x) => (x > 0 ? 1 : 0)),
      [0, 0, 1, 1],
    );
  });

  it('sampling frequencies follow the temperature-scaled distribution', () => {
    const rng = createRng(42);
    const counts = [0, 0, 0];
    const logits = [0, Math.log(2), Math.log(7)]; // probabilities 0.1, 0.2, 0.7
    for (let i = 0; i < 20000; i++) counts[pickToken(logits, cfg({ temperature: 1 }), rng)]! += 1;
    assert.ok(Math.abs(counts[0]! / 20000 - 0.1) < 0.015, String(counts));
    assert.ok(Math.abs(counts[2]! / 20000 - 0.7) < 0.015, String(counts));
  });
});

/** A toy model: after token t, the most likely next token is (t + 1) mod V, else a trap. */
function counter(vocab: number): NextLogits {
  return async (seqs) =>
    seqs.map((s) => {
      const last = s[s.length - 1] as number;
      const logits = new Float32Array(vocab).fill(-5);
      logits[(last + 1) % vocab] = 2;
      return logits;
    });
}

describe('generate', () => {
  it('greedy continues the pattern and respects the context window', async () => {
    const seen: number[] = [];
    const next: NextLogits = async (seqs) => {
      seen.push(seqs[0]!.length);
      return counter(5)(seqs);
    };
    const out = await generate(next, [0, 1], cfg({ maxNewTokens: 6 }), { contextLength: 3 });
    assert.deepEqual(out, [2, 3, 4, 0, 1, 2]);
    assert.ok(Math.max(...seen) <= 3);
  });

  it('stops at the stop token and refuses an empty prompt', async () => {
    const out = await generate(counter(5), [0], cfg({ maxNewTokens: 10 }), {
      contextLength: 8,
      stopToken: 3,
    });
    assert.deepEqual(out, [1, 2, 3]);
    await assert.rejects(generate(counter(5), [], cfg(), { contextLength: 8 }), /prompt is empty/);
  });

  it('beam search finds the higher-probability sequence greedy misses', async () => {
    // Step 1: token 1 (p≈.55) vs token 2 (p≈.45). After 1 the next token is uncertain; after 2 it is sure.
    const next: NextLogits = async (seqs) =>
      seqs.map((s) => {
        const l = new Float32Array(4).fill(-20);
        if (s.length === 1) {
          l[1] = Math.log(0.55);
          l[2] = Math.log(0.45);
        } else if (s[1] === 1) {
          l.fill(Math.log(0.25));
        } else {
          l[3] = 0;
        }
        return l;
      });
    const greedy = await generate(next, [0], cfg({ maxNewTokens: 2 }), { contextLength: 8 });
    const beam = await beamSearch(next, [0], cfg({ maxNewTokens: 2, beams: 2 }), {
      contextLength: 8,
    });
    assert.equal(greedy[0], 1);
    assert.deepEqual(beam, [2, 3]);
  });
});

describe('sampling settings', () => {
  it('refuses a temperature between 0 and the minimum with a sentence, accepts the minimum', () => {
    const tiny = SamplingConfig.safeParse({ temperature: 1e-301 });
    assert.equal(tiny.success, false);
    assert.match(tiny.error?.issues[0]?.message ?? '', /use 0 for greedy decoding, or .* 0\.001/);
    assert.equal(SamplingConfig.safeParse({ temperature: 0 }).success, true);
    const low = SamplingConfig.parse({ temperature: 1e-3 });
    // At the minimum a clear favourite is still picked without overflow.
    assert.equal(pickToken([0, 1, 0.5], low, createRng(1)), 1);
  });
});
