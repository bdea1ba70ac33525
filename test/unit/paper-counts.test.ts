import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compile } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import { applyPreset } from '../../engine/graph/presets.ts';

/** The template at one of its presets, compiled: its counted and uncounted parameters. */
function counts(file: string, preset: string) {
  const parsed = parseDocument(readFileSync(`templates/${file}.json`, 'utf8'));
  assert.ok(parsed.ok, file);
  const applied = applyPreset(parsed.doc, preset);
  assert.ok('doc' in applied, JSON.stringify(applied));
  const r = compile(applied.doc, { mode: 'check' });
  assert.deepEqual(r.diagnostics, [], JSON.stringify(r.diagnostics));
  return { total: r.totalParams, uncounted: r.uncountedParams };
}

// Closed forms of the paper's code (TRM.md, "Details of the public code"), D 512, SwiGLU 1536,
// vocab 11, 16 prefix positions + 81 cells = 97, halting head Linear(512 → 1) with a bias.
const D = 512;
const F = 1536;
const V = 11;
const S = 16 + 81;
const halt1 = D + 1;
const halt2 = 2 * D + 2; // the code's Q head: halt and continue logits

test('TRM-MLP 9×9 has the code’s 5,028,866 parameters with its 2-logit Q head (5,028,353 with 1)', () => {
  const layer = 3 * S * D + 3 * D * F; // token-mixing SwiGLU over 97 positions + channel SwiGLU
  const expected = 2 * layer + 2 * V * D + halt1;
  assert.equal(expected, 5_028_353);
  assert.equal(expected - halt1 + halt2, 5_028_866);
  const c = counts('trm-mlp-sudoku', 'sudoku-9x9');
  assert.equal(c.total, expected);
  // The puzzle embedding is one learned 512-vector, trained but not counted (as the paper).
  assert.equal(c.uncounted, D);
});

test('TRM-Att 9×9 has the paper’s 6,827,521 parameters with a 1-logit head (6,828,034 with 2)', () => {
  const layer = 4 * D * D + 3 * D * F;
  const expected = 2 * layer + 2 * V * D + halt1;
  assert.equal(expected, 6_827_521);
  assert.equal(expected - halt1 + halt2, 6_828_034);
  const c = counts('trm-sudoku', 'sudoku-9x9');
  assert.equal(c.total, expected);
  assert.equal(c.uncounted, D);
});
