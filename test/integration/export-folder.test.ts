import { capture } from '../support/capture.ts';
import { defaultExportPath } from '../../engine/cli/run-folder.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { onnxSignature } from '../../engine/onnx-runtime/export-model.ts';

// `trm export` writes a Hugging Face model folder. A briefly trained tiny GPT (GPT-2-shaped:
// LayerNorm, learned positions, GELU) exported with its KV cache loads in the real
// transformers.js `text-generation` pipeline unchanged, and its greedy text equals
// `trm generate` on the checkpoint, on the folder, and on a single-file export of the old form.

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const PROMPT = 'the cat';
const NEW_TOKENS = 20;

async function trmGenerate(model: string): Promise<string> {
  const c = capture();
  const code = await main(
    ['generate', model, '--prompt', PROMPT, '--max-tokens', String(NEW_TOKENS)],
    c.out,
  );
  assert.equal(code, 0, c.errors.join('\n'));
  return c.lines.join('');
}

/** transformers.js greedy text-generation on a local folder, nothing fetched. */
export async function transformersGreedy(folder: string): Promise<string> {
  const { env, pipeline } = await import('@huggingface/transformers');
  env.localModelPath = resolve(folder, '..');
  env.allowRemoteModels = false;
  const generate = await pipeline('text-generation', resolve(folder).split('/').pop()!, {
    dtype: 'fp32',
  });
  try {
    const [out] = (await generate(PROMPT, { max_new_tokens: NEW_TOKENS, do_sample: false })) as {
      generated_text: string;
    }[];
    return out!.generated_text;
  } finally {
    await generate.dispose();
  }
}

describe('export folder (Hugging Face layout) of a trained tiny GPT', () => {
  // Inside the repository, so transformers.js resolves from this checkout's node_modules.
  const dir = mkdtempSync(resolve('.export-folder-test-'));
  const run = join(dir, 'run');
  const graph = join(dir, 'gpt.json');
  after(() => rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    const doc = readJson('templates/tiny-gpt.json');
    doc.dims = { ...doc.dims, D: 32, H: 2, T: 32 };
    writeFileSync(graph, JSON.stringify(doc));
    writeFileSync(
      join(dir, 'text.txt'),
      'the cat sat on the mat. the dog ran to the log. '.repeat(200),
    );
    const c = capture();
    const code = await main(
      [
        'train',
        graph,
        '--data',
        join(dir, 'text.txt'),
        '--steps',
        '120',
        '--batch',
        '16',
        '--lr',
        '0.01',
        '--out',
        run,
        '--backend',
        'wasm',
        '--config',
        '{"evalExamples":8,"evalEvery":0}',
      ],
      c.out,
    );
    assert.equal(code, 0, c.errors.join('\n'));
  });

  it('writes the folder beside the run, with its JSON fields and the HF signature', async () => {
    const c = capture();
    const code = await main(
      ['export', graph, '--weights', run, '--mode', 'decode', '--backend', 'wasm'],
      c.out,
    );
    assert.equal(code, 0, c.errors.join('\n') + c.lines.join('\n'));
    const folder = defaultExportPath(
      JSON.parse(readFileSync(graph, 'utf8')) as GraphDocument,
      run,
      'decode',
    );
    for (const f of [
      'onnx/model.onnx',
      'onnx/model.verify.json',
      'config.json',
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'README.md',
    ])
      assert.ok(existsSync(join(folder, f)), `${f} missing`);
    const config = readJson(join(folder, 'config.json'));
    assert.deepEqual(config.architectures, ['GPT2LMHeadModel']);
    assert.equal(config.model_type, 'gpt2');
    assert.equal(config.vocab_size, 96);
    assert.equal(config.n_positions, 32);
    assert.equal(config.n_embd, 32);
    assert.equal(config.n_head, 2);
    assert.equal(config.n_layer, 2);
    assert.equal(config.use_cache, true);
    assert.equal(config.eos_token_id, null);
    assert.equal(config.trm.mode, 'decode');
    assert.equal(config.trm.file, 'onnx/model.onnx');
    assert.equal(config.trm.data.type, 'text');
    assert.ok(config.trm.parameters > 20_000, String(config.trm.parameters));
    assert.deepEqual(readJson(join(folder, 'generation_config.json')), {
      bos_token_id: null,
      eos_token_id: null,
      pad_token_id: null,
      max_length: 32,
      do_sample: false,
    });
    const tokenizer = readJson(join(folder, 'tokenizer.json'));
    assert.equal(tokenizer.model.type, 'BPE');
    assert.equal(Object.keys(tokenizer.model.vocab).length, 96);
    assert.equal(tokenizer.model.vocab.t, 15);
    assert.deepEqual(tokenizer.decoder, { type: 'Fuse' });
    assert.equal(readJson(join(folder, 'tokenizer_config.json')).model_max_length, 32);
    const card = readFileSync(join(folder, 'README.md'), 'utf8');
    for (const part of [
      '# Tiny GPT',
      `- parameters: ${config.trm.parameters.toLocaleString('en-US')}`,
      '- steps: 120',
      '| head |',
      '- verdict: PASS',
      "pipeline('text-generation'",
    ])
      assert.ok(card.includes(part), `model card lacks "${part}":\n${card}`);
    const sig = onnxSignature(readFileSync(join(folder, 'onnx/model.onnx')));
    assert.deepEqual(
      sig.inputs.map((i) => [i.name, i.type, i.shape.join(',')]),
      [
        ['input_ids', 'int64', 'batch_size,sequence_length'],
        ['attention_mask', 'int64', 'batch_size,total_sequence_length'],
        ...[0, 1].flatMap((n) =>
          ['key', 'value'].map((k) => [
            `past_key_values.${n}.${k}`,
            'float32',
            'batch_size,2,past_sequence_length,16',
          ]),
        ),
      ],
    );
    assert.deepEqual(
      sig.outputs.map((o) => o.name),
      ['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value'],
    );
  });

  it('transformers.js greedy text equals trm generate (checkpoint, folder, old single file)', async () => {
    const folder = defaultExportPath(
      JSON.parse(readFileSync(graph, 'utf8')) as GraphDocument,
      run,
      'decode',
    );
    const legacy = join(dir, 'legacy.onnx');
    const c = capture();
    assert.equal(
      await main(
        ['export', graph, '--weights', run, '--mode', 'decode', '--out', legacy, '--no-task'],
        c.out,
      ),
      0,
      c.errors.join('\n'),
    );
    assert.equal(onnxSignature(readFileSync(legacy)).inputs[0]!.name, 'tokens');
    const studio = await trmGenerate(run);
    assert.ok(studio.length > PROMPT.length + 10, studio);
    assert.notEqual(new Set(studio.slice(PROMPT.length)).size, 1, `degenerate: ${studio}`);
    assert.equal(await trmGenerate(folder), studio);
    assert.equal(await trmGenerate(join(folder, 'onnx', 'model.onnx')), studio);
    assert.equal(await trmGenerate(legacy), studio);
    assert.equal(await transformersGreedy(folder), studio);
  });
});
