import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { exportFolder } from '../../engine/onnx-runtime/export-folder.ts';
import { exportModel, onnxSignature } from '../../engine/onnx-runtime/export-model.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { main } from '../../engine/cli/main.ts';

// The exported signature is Hugging Face's: int64 `input_ids` (an int32 feed is refused),
// `attention_mask`, `logits`, caches `past_key_values.N.key|value` [B, heads, P, Dh] in and
// `present.N.key|value` out. The wrapper is exact: logits equal the Studio's own graph's,
// and decoding one token against the returned cache equals recomputing the whole window.
// A Llama-shaped graph (RoPE, RMSNorm, SwiGLU; recursion unrolled into cache entries) is
// named `llama` and loads in transformers.js unchanged.

function recursiveLm(): GraphDocument {
  const raw = JSON.parse(readFileSync('templates/recursive-lm.json', 'utf8'));
  raw.dims = { ...raw.dims, D: 32, H: 2, F: 64, T: 32, R: 2 };
  const parsed = parseDocument(raw);
  assert.ok(parsed.ok);
  return parsed.doc;
}

const ids = (xs: number[]) =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(xs, (x) => BigInt(x)),
    [1, xs.length],
  );
const ones = (n: number) => new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('HF signature (int64 input_ids, past_key_values / present)', () => {
  const dir = mkdtempSync(resolve('.hf-signature-test-'));
  const folder = join(dir, 'rlm');
  const doc = recursiveLm();
  let hf: ort.InferenceSession;
  let core: ort.InferenceSession;
  before(async () => {
    await selectBackend('wasm');
    const common = { doc, precision: 'fp32' as const, mode: 'decode' as const, latencyRuns: 0 };
    await exportFolder({ ...common, dir: folder, task: false });
    hf = await ort.InferenceSession.create(join(folder, 'onnx', 'model.onnx'));
    core = await ort.InferenceSession.create((await exportModel({ ...common, task: false })).bytes);
  });
  after(async () => {
    await hf?.release();
    await core?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('declares int64 input_ids and attention_mask, and HF cache names and layouts', () => {
    const sig = onnxSignature(readFileSync(join(folder, 'onnx', 'model.onnx')));
    const byName = Object.fromEntries(
      [...sig.inputs, ...sig.outputs].map((v) => [v.name, `${v.type} ${v.shape.join(',')}`]),
    );
    assert.equal(byName.input_ids, 'int64 batch_size,sequence_length');
    assert.equal(byName.attention_mask, 'int64 batch_size,total_sequence_length');
    assert.equal(byName.logits, 'float32 batch_size,sequence_length,96');
    // R = 2 recursion steps, unrolled: two caches of 2 heads × 16.
    for (const n of [0, 1])
      for (const k of ['key', 'value']) {
        assert.equal(
          byName[`past_key_values.${n}.${k}`],
          'float32 batch_size,2,past_sequence_length,16',
        );
        assert.equal(byName[`present.${n}.${k}`], 'float32 batch_size,2,total_sequence_length,16');
      }
    assert.equal(sig.inputs.length, 6);
    assert.equal(sig.outputs.length, 5);
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    assert.equal(config.model_type, 'llama');
    assert.deepEqual(config.architectures, ['LlamaForCausalLM']);
    assert.equal(config.num_hidden_layers, 2);
    assert.equal(config.num_key_value_heads, 2);
    assert.equal(config.head_dim, 16);
  });

  it('refuses int32 ids, and its logits equal the Studio graph exactly', async () => {
    const prompt = [5, 9, 14, 3, 27, 40];
    const empty = (): Record<string, ort.Tensor> => {
      const f: Record<string, ort.Tensor> = {};
      for (const n of [0, 1])
        for (const k of ['key', 'value'])
          f[`past_key_values.${n}.${k}`] = new ort.Tensor(
            'float32',
            new Float32Array(0),
            [1, 2, 0, 16],
          );
      return f;
    };
    await assert.rejects(
      hf.run({
        input_ids: new ort.Tensor('int32', Int32Array.from(prompt), [1, prompt.length]),
        attention_mask: ones(prompt.length),
        ...empty(),
      }),
      /int64|tensor\(int32\)|type/i,
    );
    const whole = await hf.run({
      input_ids: ids(prompt),
      attention_mask: ones(prompt.length),
      ...empty(),
    });
    const coreFeeds: Record<string, ort.Tensor> = {
      tokens: new ort.Tensor('int32', Int32Array.from(prompt), [1, prompt.length]),
    };
    for (const n of [0, 1])
      for (const k of ['key', 'value'])
        coreFeeds[`past.${n}.${k}`] = new ort.Tensor('float32', new Float32Array(0), [1, 0, 32]);
    const reference = await core.run(coreFeeds);
    const logits = whole.logits!.data as Float32Array;
    assert.equal(maxDiff(logits, reference.head!.data as Float32Array), 0);

    // Prefix through the cache, then one token: the last position's logits are the whole run's.
    const prefix = await hf.run({
      input_ids: ids(prompt.slice(0, -1)),
      attention_mask: ones(prompt.length - 1),
      ...empty(),
    });
    const past: Record<string, ort.Tensor> = {};
    for (const n of [0, 1])
      for (const k of ['key', 'value']) {
        const present = prefix[`present.${n}.${k}`]!;
        assert.deepEqual(present.dims, [1, 2, prompt.length - 1, 16]);
        past[`past_key_values.${n}.${k}`] = present;
      }
    const step = await hf.run({
      input_ids: ids(prompt.slice(-1)),
      attention_mask: ones(prompt.length),
      ...past,
    });
    const vocab = 96;
    const last = logits.subarray((prompt.length - 1) * vocab);
    assert.ok(maxDiff(step.logits!.data as Float32Array, last) < 1e-4);
  });

  it('loads in transformers.js as a Llama, with trm generate’s greedy text', async () => {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.localModelPath = dir;
    env.allowRemoteModels = false;
    const generate = await pipeline('text-generation', 'rlm', { dtype: 'fp32' });
    const [out] = (await generate('the ', { max_new_tokens: 12, do_sample: false })) as {
      generated_text: string;
    }[];
    await generate.dispose();
    const lines: string[] = [];
    const code = await main(['generate', folder, '--prompt', 'the ', '--max-tokens', '12'], {
      log: (s: string) => lines.push(s),
      error: (s: string) => lines.push(s),
    });
    assert.equal(code, 0, lines.join('\n'));
    assert.equal(out!.generated_text, lines.join(''));
  });
});
