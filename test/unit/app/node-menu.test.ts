import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { nodeMenuEntries, quickAddEdit } from '../../../renderer/src/state/node-menu.ts';
import { applyEdit, emptyDocument } from '../../../engine/graph/edits/apply-edit.ts';

const template = (file: string): GraphDocument => {
  const r = parseDocument(readFileSync(`templates/${file}`, 'utf8'));
  assert.ok(r.ok);
  return r.doc;
};

describe('quick-add node menu', () => {
  it('lists every kind on an empty document, component ports only inside a component', () => {
    const doc = emptyDocument();
    const kinds = nodeMenuEntries(doc, 'main', '').map((e) => e.kind);
    assert.ok(kinds.includes('attention') && kinds.includes('token-input'));
    assert.ok(!kinds.includes('component-input'));
    const trm = template('trm-mlp-sudoku.json');
    const inside = nodeMenuEntries(trm, 'layer', '').map((e) => e.key);
    assert.ok(inside.includes('component-input') && inside.includes('component-output'));
  });

  it('ranks a title that starts with the query first and matches the docs last', () => {
    const titles = nodeMenuEntries(emptyDocument(), 'main', 'norm').map((e) => e.kind);
    assert.deepEqual(titles.slice(0, 2).sort(), ['layer-norm', 'rms-norm']);
    assert.deepEqual(nodeMenuEntries(emptyDocument(), 'main', 'zzzz-nothing'), []);
    assert.equal(nodeMenuEntries(emptyDocument(), 'main', 'FFN')[0]?.kind, 'ffn');
  });

  it('offers the document’s components, never one that contains the open graph', () => {
    const trm = template('trm-mlp-sudoku.json');
    const inMain = nodeMenuEntries(trm, 'main', '').filter((e) => e.key.startsWith('component:'));
    assert.deepEqual(
      inMain.map((e) => e.params.component),
      ['layer', 'net', 'latent_step', 'latent_recursion', 'deep_step'],
    );
    const inNet = nodeMenuEntries(trm, 'net', '').filter((e) => e.key.startsWith('component:'));
    assert.deepEqual(
      inNet.map((e) => e.params.component),
      ['layer'],
    );
  });

  it('filters a dropped wire to kinds with a port it fits, and names that port', () => {
    const doc = emptyDocument();
    const tokens = nodeMenuEntries(doc, 'main', '', {
      node: 'puzzle',
      port: 'tokens',
      side: 'source',
      type: 'tokens',
    });
    assert.ok(tokens.length > 0);
    for (const e of tokens) assert.ok(e.port, `${e.kind} names its port`);
    assert.ok(tokens.some((e) => e.kind === 'token-embedding' && e.port === 'tokens'));
    assert.ok(!tokens.some((e) => e.kind === 'ffn'), 'an FFN takes activations, not token ids');

    const feedsNorm = nodeMenuEntries(doc, 'main', '', {
      node: 'norm',
      port: 'x',
      side: 'target',
      type: 'float',
    });
    assert.ok(feedsNorm.some((e) => e.kind === 'ffn' && e.port === 'out'));
    assert.ok(!feedsNorm.some((e) => e.kind === 'token-input'), 'token ids cannot feed a norm');
  });

  it('places the node and its wire in one edit, replacing a wire into a taken input', () => {
    let doc = emptyDocument();
    doc = { ...doc, dims: { V: 8, T: 4, D: 16 } };
    const [input] = nodeMenuEntries(doc, 'main', 'token input');
    assert.equal(input?.kind, 'token-input');
    assert.ok(input);
    doc = applyEdit(doc, quickAddEdit(doc.main, 'main', input, { x: 200, y: 100 }));
    assert.deepEqual(doc.main.nodes[0]?.position, { x: 100, y: 80 });
    const wire = { node: 'token_input', port: 'tokens', side: 'source', type: 'tokens' } as const;
    const [embed] = nodeMenuEntries(doc, 'main', 'embedding', wire);
    assert.equal(embed?.kind, 'token-embedding');
    assert.ok(embed);
    const edit = quickAddEdit(doc.main, 'main', embed, { x: 200, y: 300 }, wire);
    doc = applyEdit(doc, edit);
    assert.deepEqual(doc.main.edges, [
      {
        from: { node: 'token_input', port: 'tokens' },
        to: { node: 'token_embedding', port: 'tokens' },
      },
    ]);
    assert.equal(doc.main.nodes[1]?.params.width, 'D');

    // Dragged out of the embedding's (wired) input: the new node feeds it instead.
    const back = {
      node: 'token_embedding',
      port: 'tokens',
      side: 'target',
      type: 'tokens',
    } as const;
    const [second] = nodeMenuEntries(doc, 'main', 'token input', back);
    assert.ok(second);
    doc = applyEdit(doc, quickAddEdit(doc.main, 'main', second, { x: 400, y: 100 }, back));
    assert.deepEqual(doc.main.edges, [
      {
        from: { node: 'token_input_2', port: 'tokens' },
        to: { node: 'token_embedding', port: 'tokens' },
      },
    ]);
  });
});
