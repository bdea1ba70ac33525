import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPreset } from '../../../engine/graph/presets.ts';
import { parsed, rawDoc } from './helpers.ts';

describe('presets', () => {
  const doc = parsed({
    ...rawDoc({ nodes: [['tok', 'token-input', { vocab: 4, maxLength: 4 }]], edges: [] }),
    meta: {
      presets: {
        proto: { params: { 'constructor/x': { width: 1 } } },
        big: { dims: { D: 8 }, params: { 'main/tok': { maxLength: 9 } } },
      },
    },
  });

  it('a preset addressing "constructor/…" is refused, not thrown on', () => {
    const r = applyPreset(doc, 'proto');
    assert.ok('error' in r);
    assert.match(r.error, /changes node "constructor\/x", which does not exist/);
  });

  it('a preset sets dims and node params without touching the original', () => {
    const r = applyPreset(doc, 'big');
    assert.ok('doc' in r);
    assert.equal(r.doc.dims.D, 8);
    assert.equal(r.doc.main.nodes[0]?.params.maxLength, 9);
    assert.equal(doc.main.nodes[0]?.params.maxLength, 4);
  });
});
