import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { compile } from '../../engine/graph/compile.ts';
import { toDecodeProgram } from '../../engine/graph/decode.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { generate } from '../../engine/infer/generate.ts';
import { cachedNextLogits, type KvRun } from '../../engine/infer/kv-cache.ts';
import { onnxMetadata } from '../../engine/infer/load.ts';
import { onnxKvRun, onnxModelFrom } from '../../engine/infer/onnx-model.ts';
import { SamplingConfig } from '../../engine/contract/sampling.ts';
import { tfjsKvRun, tfjsNextLogits } from '../../engine/infer/tfjs-model.ts';
import { exportModel } from '../../engine/onnx-runtime/export-model.ts';
import { createSession } from '../../engine/onnx-runtime/verify.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { createWeights } from '../../engine/runtime/weights.ts';

function template(name: string): GraphDocument {
  const parsed = parseDocument(readFileSync(`templates/${name}.json`, 'utf8'));
  assert.ok(parsed.ok);
  return parsed.doc;
}

/** Counts the tokens each run is given, to show the cache really skips recompute. */
function counting(run: KvRun) {
  const seen = { tokens: 0, lengths: [] as number[] };
  const f: KvRun = (tokens, batch, length, past, p) => {
    seen.tokens += batch * length;
    seen.lengths.push(p);
    return run(tokens, batch, length, past, p);
  };
  return { f, seen };
}

describe('KV-cache decoding equals full recompute token for token', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  for (const name of ['tiny-gpt', 'recursive-lm']) {
    it(`${name}: tfjs and onnxruntime, greedy and beam search`, async () => {
      const doc = template(name);
      const program = compile(doc, { mode: 'full' }).program!;
      const decode = toDecodeProgram(program);
      const attentions = program.ops.filter((o) => o.op === 'Attention').length;
      assert.equal(decode.cache.length, attentions, 'one cache per attention application');
      const weights = createWeights(program, 0);
      try {
        const pm = { program, weights, tokens: 'tokens', logits: 'head' };
        const full = tfjsNextLogits(pm);
        const kvRun = tfjsKvRun({ ...pm, program: decode.program }, decode.cache);
        const prompt = [5, 17, 3, 42, 8];
        // Context 12 makes the window slide after 7 new tokens: the cache restarts there.
        const opts = { contextLength: 12 };
        for (const beams of [1, 2]) {
          const cfg = SamplingConfig.parse({ maxNewTokens: 10, beams });
          const want = await generate(full, prompt, cfg, opts);
          const got = await generate(cachedNextLogits(kvRun, decode.cache), prompt, cfg, opts);
          assert.deepEqual(got, want, `tfjs, beams ${beams}`);
        }
        // Logits (not only argmax) agree after several cached steps.
        const cached = cachedNextLogits(kvRun, decode.cache);
        const seq = [...prompt];
        for (let i = 0; i < 4; i++) {
          const [a] = await cached([seq]);
          const [b] = await full([seq]);
          let err = 0;
          a!.forEach((x, j) => (err = Math.max(err, Math.abs(x - b![j]!))));
          assert.ok(err < 1e-4, `step ${i}: max error ${err}`);
          seq.push(i + 1);
        }

        const { bytes, report } = await exportModel({
          doc,
          precision: 'fp32',
          mode: 'decode',
          latencyRuns: 0,
          heldOut: { batch: 1, length: 6 },
        });
        assert.ok(report.ok, report.failures.join(' '));
        const m = onnxModelFrom(await createSession(bytes), await onnxMetadata(bytes, 'kv.onnx'));
        try {
          const onnxRun = onnxKvRun(m, 'tokens', 'head', decode.cache);
          const cfg = SamplingConfig.parse({ maxNewTokens: 10 });
          const want = await generate(full, prompt, cfg, opts);
          const recompute = counting(onnxRun);
          const kv = counting(onnxRun);
          const plain = cachedNextLogits(recompute.f, decode.cache, false);
          const fast = cachedNextLogits(kv.f, decode.cache);
          assert.deepEqual(await generate(plain, prompt, cfg, opts), want, 'onnx recompute');
          assert.deepEqual(await generate(fast, prompt, cfg, opts), want, 'onnx KV cache');
          // Prompt 5, then one token per call with P = 5..11; the window slides at 12 and the
          // cache restarts (P = 0) on the 12-token window, then resumes.
          assert.deepEqual(kv.seen.lengths, [0, 5, 6, 7, 8, 9, 10, 11, 0, 0]);
          assert.ok(kv.seen.tokens < recompute.seen.tokens / 2);
        } finally {
          await m.session.release();
        }
      } finally {
        weights.dispose();
      }
    });
  }
});
