import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTorchNames, identifier, torchName } from '../../engine/pytorch/names.ts';

describe('PyTorch names', () => {
  it('keeps a plain name and escapes what Python or nn.Module would read otherwise', () => {
    assert.equal(identifier('layer1'), 'layer1');
    assert.equal(identifier('self'), 'self_');
    assert.equal(identifier('class'), 'class_');
    assert.equal(identifier('train'), 'train_');
    assert.equal(identifier('state_dict'), 'state_dict_');
    assert.equal(identifier('my-node'), 'my_node');
    assert.equal(identifier('2nd'), 'v2nd');
    assert.equal(identifier('a.b'), 'a_b');
  });

  it('makes one state-dict key per Studio weight, segment by segment', () => {
    assert.equal(torchName('dec1/self/wq'), 'dec1.self_.wq');
    assert.equal(torchName('net/layer1/attn/w1'), 'net.layer1.attn.w1');
    assert.equal(torchName('attn-2/wq'), 'attn_2.wq');
    assert.equal(torchName('eval/w'), 'eval_.w');
  });

  it('refuses two weights that would share a key, naming both', () => {
    assert.doesNotThrow(() => checkTorchNames(['a_b/w', 'a_b/w', 'a/b/w']));
    assert.throws(
      () => checkTorchNames(['a-b/w', 'a_b/w']),
      /'a-b\/w' and 'a_b\/w' would both be 'a_b\.w' in PyTorch/,
    );
  });
});
