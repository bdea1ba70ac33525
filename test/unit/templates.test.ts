import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
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
