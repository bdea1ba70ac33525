import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { analyzeDocument } from '../../../engine/graph/analyze.ts';

const doc = (nodes: GraphDocument['main']['nodes'], edges: GraphDocument['main']['edges'] = []) =>
  ({
    version: 1,
    name: 'drops',
    dims: { D: 64, V: 10 },
    main: { nodes, edges },
    components: {},
  }) as GraphDocument;
const at = { x: 0, y: 0 };

test('the header total counts a dropped node as soon as its own size is known, wired or not', () => {
  const ffn = { id: 'f', kind: 'ffn', params: { width: 'D' }, position: at };
  const attn = { id: 'a', kind: 'attention', params: { width: 'D', heads: 4 }, position: at };
  const a = analyzeDocument(doc([ffn, attn]));
  // FFN 2·64·256, attention 4·64²: nothing is wired, both count.
  assert.equal(a.graphs.main?.nodes.f?.params, 2 * 64 * 256);
  assert.equal(a.graphs.main?.nodes.a?.params, 4 * 64 * 64);
  assert.equal(a.totals.params, 2 * 64 * 256 + 4 * 64 * 64);
  // Wired into a model, the same weights count once.
  const wired = analyzeDocument(
    doc(
      [
        { id: 't', kind: 'token-input', params: { vocab: 'V', maxLength: 8 }, position: at },
        { id: 'e', kind: 'token-embedding', params: { vocab: 'V', width: 'D' }, position: at },
        ffn,
        { id: 'h', kind: 'lm-head', params: { width: 'D', vocab: 'V' }, position: at },
      ],
      [
        { from: { node: 't', port: 'tokens' }, to: { node: 'e', port: 'tokens' } },
        { from: { node: 'e', port: 'out' }, to: { node: 'f', port: 'x' } },
        { from: { node: 'f', port: 'out' }, to: { node: 'h', port: 'x' } },
      ],
    ),
  );
  assert.equal(wired.totals.params, 10 * 64 + 2 * 64 * 256 + 64 * 10);
});

test('templates: the total is still the compiler’s, shared weights once', () => {
  for (const file of ['trm-mlp-sudoku', 'tiny-gpt', 'recursive-lm']) {
    const parsed = parseDocument(readFileSync(`templates/${file}.json`, 'utf8'));
    assert.ok(parsed.ok);
    const a = analyzeDocument(parsed.doc);
    assert.ok(a.ok, file);
    assert.equal(a.totals.params, compile(parsed.doc, { mode: 'check' }).totalParams, file);
  }
});
