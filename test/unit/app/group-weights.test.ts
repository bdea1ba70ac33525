import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { matchSavedNames } from '../../../engine/graph/saved-names.ts';
import { runProgram } from '../../../engine/runtime/executor.ts';
import { createWeights, encodeWeightsAsync, loadWeights } from '../../../engine/runtime/weights.ts';
import { groupNodes, ungroupNode } from '../../../engine/graph/edits/grouping.ts';

await tf.setBackend('cpu');

function load(name: string): GraphDocument {
  const r = parseDocument(readFileSync(`templates/${name}.json`, 'utf8'));
  assert.ok(r.ok);
  return r.doc;
}

/** Logits of `doc` on fixed tokens with weights `saved` (encodeWeightsAsync output). */
function logits(
  doc: GraphDocument,
  saved: Awaited<ReturnType<typeof encodeWeightsAsync>>,
): Float32Array {
  const program = compile(doc, { mode: 'full' }).program!;
  const store = createWeights(program, 99); // other values: every weight must come from `saved`
  try {
    loadWeights(store, saved.manifest, saved.data);
    const input = program.inputs[0]!;
    const tokens = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]], [1, 8], 'int32');
    const head = program.outputs.find((o) => o.role === 'logits')!;
    const out = runProgram(program, store, { [input.name]: tokens }, [head.name]);
    const v = out[head.name]!.dataSync() as Float32Array;
    tf.dispose([tokens, ...Object.values(out)]);
    return v;
  } finally {
    store.dispose();
  }
}

test('weights trained before grouping load into the grouped document, and its outputs are the same', async () => {
  const before = load('tiny-gpt');
  const program = compile(before, { mode: 'full' }).program!;
  const trained = createWeights(program, 7);
  const saved = await encodeWeightsAsync(trained);
  trained.dispose();
  const reference = logits(before, saved);
  // The final norm into a component "top": its weights move under top/.
  const grouped = groupNodes(before, 'main', ['ln_f'], 'top');
  assert.ok('doc' in grouped, JSON.stringify(grouped));
  const names = [...compile(grouped.doc, { mode: 'full' }).program!.params.keys()];
  assert.ok(names.includes('top/ln_f/scale'), names.join(' '));
  assert.deepEqual(Array.from(logits(grouped.doc, saved)), Array.from(reference));
  // And back: ungrouping is the inverse, and the grouped run's weights load into it.
  const regrouped = createWeights(compile(grouped.doc, { mode: 'full' }).program!, 7);
  const savedGrouped = await encodeWeightsAsync(regrouped);
  regrouped.dispose();
  const instance = grouped.doc.main.nodes.find(
    (n) => n.kind === 'component' && n.params.component === 'top',
  )!;
  const ungrouped = ungroupNode(grouped.doc, 'main', instance.id);
  assert.ok('doc' in ungrouped);
  assert.deepEqual(
    Array.from(logits(ungrouped.doc, savedGrouped)),
    Array.from(logits(grouped.doc, savedGrouped)),
  );
});

test('renamed weights match only when exactly one saved tensor of that size fits', () => {
  const size = 4;
  // Grouping: a/w → g/a/w; ungrouping: g/a/w → a/w.
  assert.deepEqual(
    [...matchSavedNames([{ name: 'g/a/w', size }], [{ name: 'a/w', size }])],
    [['g/a/w', 'a/w']],
  );
  assert.deepEqual(
    [...matchSavedNames([{ name: 'a/w', size }], [{ name: 'g/a/w', size }])],
    [['a/w', 'g/a/w']],
  );
  // Another size, a name that is not a whole-segment suffix, or two candidates: no match.
  assert.equal(matchSavedNames([{ name: 'g/a/w', size }], [{ name: 'a/w', size: 5 }]).size, 0);
  assert.equal(matchSavedNames([{ name: 'g/ba/w', size }], [{ name: 'a/w', size }]).size, 0);
  assert.equal(
    matchSavedNames(
      [{ name: 'g/a/w', size }],
      [
        { name: 'a/w', size },
        { name: 'x/g/a/w', size },
      ],
    ).size,
    0,
  );
  // Two wanted weights competing for one saved tensor: neither takes it.
  assert.equal(
    matchSavedNames(
      [
        { name: 'g/a/w', size },
        { name: 'h/a/w', size },
      ],
      [{ name: 'a/w', size }],
    ).size,
    0,
  );
});

test('weights of another graph are still refused by name', async () => {
  const gpt = compile(load('tiny-gpt'), { mode: 'full' }).program!;
  const saved = await encodeWeightsAsync(createWeights(gpt, 1));
  const other = createWeights(compile(load('recursive-lm'), { mode: 'full' }).program!, 1);
  assert.throws(
    () => loadWeights(other, saved.manifest, saved.data),
    /belong to a different graph/,
  );
  other.dispose();
});
