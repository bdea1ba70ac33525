import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { compileSpec, useBackend } from '../../test/unit/nodes-numeric/helpers.ts';
import { hashSeed, materialize } from '../graph/init.ts';
import {
  createWeights,
  encodeWeightsAsync,
  loadWeights,
  seedFor,
  type WeightStore,
} from './weights.ts';

function lm(width: number, vocab = 5) {
  return compileSpec({
    nodes: [
      { id: 'tokens', kind: 'token-input', params: { vocab, maxLength: 4 } },
      { id: 'embed', kind: 'token-embedding', params: { vocab, width } },
      {
        id: 'pos',
        kind: 'position-embedding',
        params: { type: 'sinusoidal', maxLength: 4, width },
      },
      { id: 'norm', kind: 'layer-norm', params: { width } },
      { id: 'head', kind: 'lm-head', params: { width, vocab } },
    ],
    edges: [
      ['tokens.tokens', 'embed.tokens'],
      ['embed.out', 'pos.x'],
      ['pos.out', 'norm.x'],
      ['norm.out', 'head.x'],
    ],
  });
}

describe('weights', () => {
  before(() => useBackend('cpu'));

  it('creates one trainable variable per param, valued by materialize, and buffers by their seed', () => {
    const program = lm(4);
    const store = createWeights(program, 3);
    assert.deepEqual([...store.params.keys()], [...program.params.keys()]);
    for (const p of program.params.values()) {
      const v = store.params.get(p.name) as tf.Variable;
      assert.ok(v.trainable);
      assert.deepEqual(v.shape, p.shape);
      assert.deepEqual(v.dataSync(), materialize(p.init, p.shape, seedFor(p.name, 3)));
    }
    const table = program.buffers.get('pos/table');
    assert.ok(table);
    assert.deepEqual(
      store.buffers.get('pos/table')?.dataSync(),
      materialize(table.init, table.shape, table.seed),
    );
    // A second store of the same program coexists (unique tfjs variable names), and one
    // made inside tf.tidy outlives it.
    let made: WeightStore | undefined;
    tf.tidy(() => {
      made = createWeights(program, 3);
    });
    const again = made as WeightStore;
    assert.ok(!again.buffers.get('pos/table')?.isDisposed);
    assert.deepEqual(
      again.params.get('embed/table')?.dataSync(),
      store.params.get('embed/table')?.dataSync(),
    );
    const before = tf.memory().numTensors;
    again.dispose();
    store.dispose();
    assert.equal(tf.memory().numTensors, before - 2 * (program.params.size + program.buffers.size));
  });

  it('seedFor mixes the name hash with the seed', () => {
    assert.equal(seedFor('a/b', 0), hashSeed('a/b'));
    assert.notEqual(seedFor('a/b', 1), seedFor('a/b', 0));
    assert.notEqual(seedFor('a/b', 1), seedFor('a/c', 1));
    const p = lm(4);
    const x = createWeights(p, 1);
    const y = createWeights(p, 2);
    assert.notDeepEqual(
      x.params.get('embed/table')?.dataSync(),
      y.params.get('embed/table')?.dataSync(),
    );
    x.dispose();
    y.dispose();
  });

  it('encodeWeightsAsync → loadWeights round-trips exactly, also from an unaligned view', async () => {
    const program = lm(4);
    const a = createWeights(program, 1);
    const b = createWeights(program, 2);
    const { manifest, data } = await encodeWeightsAsync(a);
    assert.equal(
      data.byteLength,
      4 * manifest.reduce((n, e) => n + e.shape.reduce((x, y) => x * y, 1), 0),
    );
    // Little-endian float32 at the manifest's byte offsets.
    const first = manifest[0];
    assert.ok(first);
    const view = new DataView(data.buffer, data.byteOffset);
    assert.equal(view.getFloat32(first.offset, true), a.params.get(first.name)?.dataSync()[0]);
    const shifted = new Uint8Array(data.byteLength + 1);
    shifted.set(data, 1);
    loadWeights(b, manifest, shifted.subarray(1));
    for (const [name, v] of a.params)
      assert.deepEqual(b.params.get(name)?.dataSync(), v.dataSync(), name);
    for (const [name, t] of a.buffers)
      assert.deepEqual(b.buffers.get(name)?.dataSync(), t.dataSync(), name);
    a.dispose();
    b.dispose();
  });

  it('loading into a different program names the mismatched weight and changes nothing', async () => {
    const saved = createWeights(lm(4), 1);
    const { manifest, data } = await encodeWeightsAsync(saved);
    const wider = createWeights(lm(6), 1);
    const before = wider.params.get('embed/table')?.dataSync().slice();
    assert.throws(
      () => loadWeights(wider, manifest, data),
      /Saved weight "embed\/table" is \[5, 4\] but this graph needs \[5, 6\].*Undo that change/,
    );
    assert.deepEqual(wider.params.get('embed/table')?.dataSync(), before);
    const missing = manifest.filter((e) => e.name !== 'norm/bias');
    assert.throws(() => loadWeights(saved, missing, data), /no "norm\/bias" \[4\]/);
    const extra = [...manifest, { name: 'ghost/w', shape: [1], offset: 0 }];
    assert.throws(
      () => loadWeights(saved, extra, data),
      /contain "ghost\/w".*Load weights saved from this graph/,
    );
    assert.throws(
      () => loadWeights(saved, manifest, data.subarray(0, 8)),
      /outside the weight data: the file is damaged\. Load an intact copy/,
    );
    saved.dispose();
    wider.dispose();
  });
});
