import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { compile } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import { runProgram } from '../../engine/runtime/executor.ts';
import { createWeights } from '../../engine/runtime/weights.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';

function load(file: string): GraphDocument {
  const r = parseDocument(readFileSync(file, 'utf8'));
  assert.ok(r.ok, `${file}: ${JSON.stringify(r.diagnostics)}`);
  return r.doc;
}

describe('templates', () => {
  for (const file of readdirSync('templates').filter((f) => f.endsWith('.json'))) {
    it(`${file} compiles with zero diagnostics in every mode`, () => {
      const doc = load(`templates/${file}`);
      for (const mode of ['check', 'step', 'full'] as const) {
        const r = compile(doc, { mode });
        assert.deepEqual(r.diagnostics, [], `${mode}: ${JSON.stringify(r.diagnostics)}`);
        assert.ok(r.program, mode);
      }
    });
  }

  it('tiny-gpt has the closed-form parameter count', () => {
    const doc = load('templates/tiny-gpt.json');
    const { V, D, T } = doc.dims as { V: number; D: number; T: number };
    const layer = 2 * 2 * D + 4 * D * D + 2 * D * 4 * D; // two LayerNorms, attention, FFN ×4
    const expected = V * D + T * D + 2 * layer + 2 * D; // embeddings, blocks, final LN, tied head
    assert.equal(compile(doc).totalParams, expected);
  });

  it('the TRM parameter count does not depend on recursion steps', () => {
    const doc = load('templates/trm-sudoku.json');
    const base = compile(doc).totalParams;
    for (const dims of [{ n: 6 }, { T_rec: 5 }, { N_sup: 16 }] as Record<string, number>[]) {
      assert.equal(compile({ ...doc, dims: { ...doc.dims, ...dims } }).totalParams, base);
    }
  });

  it('the paper-size TRM preset has ≈6.83M parameters, like the paper', () => {
    const doc = load('templates/trm-sudoku.json');
    const preset = (doc.meta?.presets as Record<string, { dims: Record<string, number> }>)[
      'sudoku-9x9'
    ];
    assert.ok(preset);
    const total = compile({ ...doc, dims: { ...doc.dims, ...preset.dims } }).totalParams;
    // 2 layers × (4·512² attention + 3·512·1536 SwiGLU) + 11·512 embedding + 11·512 head + 513 halting.
    assert.equal(total, 2 * (4 * 512 * 512 + 3 * 512 * 1536) + 2 * 11 * 512 + 513);
    assert.ok(Math.abs(total / 1e6 - 6.83) < 0.01);
  });
});

describe('presets', () => {
  it('recursive-lm: sharing keeps the count independent of R; per-step multiplies the block', async () => {
    const { applyPreset } = await import('../../engine/graph/presets.ts');
    const doc = load('templates/recursive-lm.json');
    const count = (name: string) => {
      const r = applyPreset(doc, name);
      assert.ok('doc' in r, JSON.stringify(r));
      return compile(r.doc).totalParams;
    };
    const D = 128;
    const block = 4 * D * D + 3 * D * 2 * D + 2 * D;
    assert.equal(count('char-small'), 96 * D + block + D);
    assert.equal(count('char-small-unshared'), 96 * D + 4 * block + D);
    assert.ok(count('bpe-large') < 50e6);
  });

  it('an unknown preset or node address is a sentence, not a crash', async () => {
    const { applyPreset } = await import('../../engine/graph/presets.ts');
    const doc = load('templates/recursive-lm.json');
    const missing = applyPreset(doc, 'huge');
    assert.ok('error' in missing && /No preset "huge"/.test(missing.error));
    const bad = applyPreset(
      { ...doc, meta: { presets: { x: { params: { 'main/nope': { steps: 2 } } } } } },
      'x',
    );
    assert.ok('error' in bad && /"main\/nope"/.test(bad.error));
  });

  it('the TRM-MLP 9×9 preset has ≈5M parameters', async () => {
    const { applyPreset } = await import('../../engine/graph/presets.ts');
    const r = applyPreset(load('templates/trm-mlp-sudoku.json'), 'sudoku-9x9');
    assert.ok('doc' in r);
    const total = compile(r.doc).totalParams;
    // Token mixing over 16 prefix positions + 81 cells (test/unit/paper-counts.test.ts).
    assert.equal(total, 2 * (3 * 97 * 512 + 3 * 512 * 1536) + 2 * 11 * 512 + 513);
    assert.ok(Math.abs(total / 1e6 - 5.0) < 0.1);
  });
});

describe('template tasks', () => {
  it("every preset's task names data whose sequence fits the preset's model", async () => {
    const { applyPreset, presetNames } = await import('../../engine/graph/presets.ts');
    const { parseDataArg } = await import('../../engine/data/data-arg.ts');
    const { createDataSource } = await import('../../engine/data/index.ts');
    for (const file of ['trm-sudoku.json', 'trm-mlp-sudoku.json']) {
      const doc = load(`templates/${file}`);
      for (const name of presetNames(doc)) {
        const r = applyPreset(doc, name);
        assert.ok('doc' in r);
        const source = await createDataSource(parseDataArg(undefined, r.doc), 0);
        assert.equal(source.length, r.doc.dims.L, `${file} ${name}`);
        assert.ok(source.vocabSize <= (r.doc.dims.V as number), `${file} ${name}`);
      }
    }
  });
});

describe('the LSTM baselines', () => {
  /** PyTorch's nn.LSTM per layer and direction: 4H×(in + H) weights and two 4H biases. */
  const lstmLayer = (input: number, hidden: number) => 4 * hidden * (input + hidden + 2);

  it("LSTM (Sudoku) has the closed-form count, within 1% of TRM-MLP's", () => {
    const doc = load('templates/lstm-sudoku.json');
    const { V, D, N, O } = doc.dims as Record<string, number>;
    assert.equal(O, 2 * D!, 'O is the width of both directions side by side');
    let expected = V! * D! + 2 * lstmLayer(D!, D!) + O * V! + V!; // embedding, layer 1, head + bias
    for (let l = 1; l < N!; l++) expected += 2 * lstmLayer(O, D!);
    const total = compile(doc).totalParams;
    assert.equal(total, expected);
    const trm = compile(load('templates/trm-mlp-sudoku.json')).totalParams;
    assert.ok(Math.abs(total / trm - 1) < 0.01, `${total} against ${trm}`);
  });

  it("LSTM LM has the closed-form count, within 1% of the recursive LM's", () => {
    const doc = load('templates/lstm-lm.json');
    const { V, D, N } = doc.dims as Record<string, number>;
    const total = compile(doc).totalParams;
    assert.equal(total, V! * D! + N! * lstmLayer(D!, D!)); // tied head: no extra weights
    const rlm = compile(load('templates/recursive-lm.json')).totalParams;
    assert.ok(Math.abs(total / rlm - 1) < 0.01, `${total} against ${rlm}`);
  });

  it('LSTM LM is causal: a later token never changes an earlier position’s logits', () => {
    const { program } = compile(load('templates/lstm-lm.json'));
    assert.ok(program);
    const weights = createWeights(program, 1);
    const logits = (ids: number[]) => {
      const feed = tf.tensor2d([ids], [1, ids.length], 'int32');
      const out = runProgram(program, weights, { tokens: feed }, ['head']);
      const rows = (out.head as tf.Tensor).arraySync() as number[][][];
      tf.dispose([feed, ...Object.values(out)]);
      return rows[0]!;
    };
    const a = logits([5, 17, 33, 2, 40, 8]);
    const b = logits([5, 17, 33, 2, 40, 9]); // the last token differs
    const c = logits([6, 17, 33, 2, 40, 8]); // the first token differs
    assert.deepEqual(b.slice(0, 5), a.slice(0, 5));
    assert.notDeepEqual(c[4], a[4]);
    weights.dispose();
  });
});
