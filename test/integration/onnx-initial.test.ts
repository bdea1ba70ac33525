import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { compile } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import { initialValues } from '../../engine/onnx/initial-weights.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { createWeights } from '../../engine/runtime/weights.ts';

describe('initial weights for an untrained export', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  it("equal the executor's createWeights(program, 0), params and buffers", () => {
    const parsed = parseDocument(readFileSync('templates/trm-sudoku.json', 'utf8'));
    assert.ok(parsed.ok);
    const program = compile(parsed.doc, { mode: 'full' }).program!;
    const ours = initialValues(program);
    const store = createWeights(program, 0);
    for (const [name, v] of store.params) assert.deepEqual(ours.weights.get(name), v.dataSync());
    for (const [name, t] of store.buffers) assert.deepEqual(ours.buffers.get(name), t.dataSync());
    store.dispose();
  });
});
