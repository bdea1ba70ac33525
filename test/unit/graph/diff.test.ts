import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { describeDiff } from '../../../engine/graph/diff-text.ts';
import { diffDocuments, type GraphDiff } from '../../../engine/graph/diff.ts';
import type { Graph, GraphDocument } from '../../../engine/graph/schema.ts';
import { analyzeDocument } from '../../../engine/graph/analyze.ts';
import { parsed } from './helpers.ts';

// tiny-gpt: V96, D128, H4, two unshared `block` instances, FFN ratio 4 (hidden 512), no biases.
const template = parsed(JSON.parse(readFileSync('templates/tiny-gpt.json', 'utf8')));
const D = 128;

function edit(change: (doc: GraphDocument) => void): GraphDocument {
  const doc = structuredClone(template);
  change(doc);
  return parsed(doc);
}

const counted = (a: GraphDocument, b: GraphDocument) =>
  diffDocuments(a, b, { before: analyzeDocument(a), after: analyzeDocument(b) });

const lines = (d: GraphDiff) => describeDiff(d).map((l) => l.text);

const nodeOf = (g: Graph, id: string) => {
  const n = g.nodes.find((x) => x.id === id);
  assert.ok(n, `no node ${id}`);
  return n;
};

/** Rename a node and every wire that names it. */
function renameNode(g: Graph, from: string, to: string): void {
  nodeOf(g, from).id = to;
  for (const e of g.edges) {
    if (e.from.node === from) e.from.node = to;
    if (e.to.node === from) e.to.node = to;
  }
}

describe('graph diff', () => {
  it('finds nothing between a document and itself, nor after moving nodes', () => {
    assert.equal(counted(template, template).same, true);
    const moved = edit((d) => {
      for (const n of d.main.nodes) n.position = { x: 999, y: -5 };
    });
    const diff = counted(template, moved);
    assert.equal(diff.same, true);
    assert.deepEqual(lines(diff), []);
  });

  it('names a changed parameter inside a component with its weight delta per node and in total', () => {
    const after = edit((d) => {
      nodeOf(d.components.block!, 'ffn').params.ratio = 2;
    });
    const diff = counted(template, after);
    // Hidden width 512 → 256: W1 [D, h] and W2 [h, D] each lose D·256 weights.
    const perBlock = -2 * D * 256;
    const ffn = diff.nodes.find((n) => n.graph === 'block' && n.id === 'ffn');
    assert.deepEqual(ffn?.params, [{ key: 'ratio', before: 4, after: 2 }]);
    assert.equal(ffn?.weights.delta, perBlock);
    // Both unshared instances shrink; their lines say why (the component body changed).
    for (const id of ['block1', 'block2']) {
      const inst = diff.nodes.find((n) => n.graph === 'main' && n.id === id);
      assert.equal(inst?.weights.delta, perBlock, id);
      assert.deepEqual(inst?.params, []);
    }
    assert.deepEqual(diff.totalParams, {
      before: 414_976,
      after: 414_976 + 2 * perBlock,
      delta: 2 * perBlock,
    });
    assert.deepEqual(lines(diff), [
      'block1: resized by its component (−65,536 params)',
      'block2: resized by its component (−65,536 params)',
      'block/ffn.ratio 4 → 2 (−65,536 params)',
      'total 414,976 → 283,904 params (−131,072)',
    ]);
    assert.deepEqual(diff.edges, []);
  });

  it('reads an explicit hidden width with biases as "ffn.hidden 256 → 512 (+65,792 params)"', () => {
    const small = edit((d) =>
      Object.assign(nodeOf(d.components.block!, 'ffn').params, { hidden: 256, bias: true }),
    );
    const big = edit((d) =>
      Object.assign(nodeOf(d.components.block!, 'ffn').params, { hidden: 512, bias: true }),
    );
    // W1, W2 grow by 2·D·256 and the hidden bias by 256.
    assert.ok(lines(counted(small, big)).includes('block/ffn.hidden 256 → 512 (+65,792 params)'));
  });

  it('compares a parameter left out as its default', () => {
    const explicit = edit((d) => {
      Object.assign(nodeOf(d.components.block!, 'ffn').params, { multipleOf: 1, bias: false });
      nodeOf(d.main, 'ln_f').params.eps = 1e-5;
    });
    assert.equal(counted(template, explicit).same, true);
    const dropped = edit((d) => {
      delete nodeOf(d.components.block!, 'ffn').params.activation;
    });
    assert.equal(diffDocuments(template, dropped).same, true, 'gelu is the default activation');
    const eps = edit((d) => {
      nodeOf(d.main, 'ln_f').params.eps = 1e-6;
    });
    assert.deepEqual(
      diffDocuments(template, eps).nodes.map((n) => n.params),
      [[{ key: 'eps', before: 1e-5, after: 1e-6 }]],
    );
  });

  it('recognises a renamed node by its wiring and reports no wire changes for it', () => {
    const after = edit((d) => renameNode(d.main, 'ln_f', 'final_norm'));
    const diff = counted(template, after);
    assert.equal(diff.nodes.length, 1);
    assert.equal(diff.nodes[0]?.renamedFrom, 'ln_f');
    assert.equal(diff.nodes[0]?.id, 'final_norm');
    assert.equal(diff.nodes[0]?.weights.delta, 0);
    assert.deepEqual(diff.edges, []);
    assert.deepEqual(lines(diff), ['final_norm: renamed from ln_f']);
  });

  it('recognises a renamed node whose parameters also changed', () => {
    const after = edit((d) => {
      renameNode(d.main, 'ln_f', 'final_norm');
      nodeOf(d.main, 'final_norm').params.bias = false;
    });
    const diff = counted(template, after);
    assert.deepEqual(lines(diff), [
      `final_norm: renamed from ln_f, bias true → false (−${D} params)`,
      `total 414,976 → ${(414_976 - D).toLocaleString('en-US')} params (−${D})`,
    ]);
  });

  it('pairs two look-alike renamed nodes by where they are wired, not by order', () => {
    const after = edit((d) => {
      renameNode(d.main, 'block1', 'second');
      renameNode(d.main, 'block2', 'first');
      // Listed in the other order, so matching by position would cross them.
      d.main.nodes.reverse();
    });
    const diff = diffDocuments(template, after);
    const renames = Object.fromEntries(diff.nodes.map((n) => [n.renamedFrom, n.id]));
    assert.deepEqual(renames, { block1: 'second', block2: 'first' });
    assert.deepEqual(diff.edges, []);
    assert.ok(diff.nodes.every((n) => n.status === 'changed' && n.params.length === 0));
  });

  it('reports an id reused by another kind as a kind change', () => {
    const after = edit((d) => {
      const n = nodeOf(d.main, 'ln_f');
      n.kind = 'rms-norm';
      n.params = { width: 'D' };
    });
    const diff = counted(template, after);
    assert.equal(diff.nodes.length, 1);
    assert.equal(diff.nodes[0]?.kindBefore, 'layer-norm');
    assert.equal(diff.nodes[0]?.kind, 'rms-norm');
    // LayerNorm's β goes; RMSNorm keeps one scale vector.
    assert.equal(diff.nodes[0]?.weights.delta, -D);
    assert.match(lines(diff)[0] ?? '', /^ln_f: kind layer-norm → rms-norm/);
  });

  it('lists added and removed nodes and their wires', () => {
    const after = edit((d) => {
      const g = d.components.block!;
      // Drop the second norm: the FFN reads the residual stream directly.
      g.nodes = g.nodes.filter((n) => n.id !== 'ln2');
      g.edges = g.edges.filter((e) => e.from.node !== 'ln2' && e.to.node !== 'ln2');
      g.edges.push({ from: { node: 'add1', port: 'out' }, to: { node: 'ffn', port: 'x' } });
      g.nodes.push({ id: 'drop', kind: 'dropout', params: { rate: 0.1 } });
    });
    const diff = counted(template, after);
    const removed = diff.nodes.find((n) => n.status === 'removed');
    assert.deepEqual(
      [removed?.graph, removed?.id, removed?.kind, removed?.weights.delta],
      ['block', 'ln2', 'layer-norm', -2 * D],
    );
    assert.deepEqual(
      diff.edges.map((e) => `${e.status} ${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`),
      ['added add1.out->ffn.x', 'removed add1.out->ln2.x', 'removed ln2.out->ffn.x'],
    );
    assert.ok(lines(diff).includes('+ block/drop (dropout) added'));
    assert.ok(lines(diff).includes(`− block/ln2 (layer-norm) removed (−${2 * D} params)`));
    assert.ok(lines(diff).includes('+ wire add1.out → ffn.x in block'));
  });

  it('follows a changed dim to the nodes that name it', () => {
    const after = edit((d) => {
      d.dims.D = 64;
    });
    const diff = counted(template, after);
    assert.deepEqual(diff.dims, [{ name: 'D', before: 128, after: 64 }]);
    const embed = diff.nodes.find((n) => n.id === 'embed');
    assert.deepEqual(embed?.dims, ['D']);
    assert.equal(embed?.weights.delta, 96 * 64 - 96 * 128);
    assert.equal(lines(diff)[0], 'dim D 128 → 64');
    // Every node that names D is listed, in both graphs.
    const named = (g: Graph) =>
      g.nodes.filter((n) => Object.values(n.params).includes('D')).map((n) => n.id);
    assert.deepEqual(
      diff.nodes.filter((n) => n.graph === 'block').map((n) => n.id),
      named(template.components.block!),
    );
    for (const id of named(template.main))
      assert.ok(
        diff.nodes.some((n) => n.graph === 'main' && n.id === id),
        id,
      );
  });

  it('recognises a renamed component and the instances pointing at the new name', () => {
    const after = edit((d) => {
      d.components.layer = d.components.block!;
      delete d.components.block;
      for (const id of ['block1', 'block2']) nodeOf(d.main, id).params.component = 'layer';
    });
    const diff = counted(template, after);
    assert.deepEqual(diff.components, [
      { name: 'layer', status: 'renamed', renamedFrom: 'block', nodes: 8 },
    ]);
    // The body is the same: nothing inside it is listed, the weights do not move.
    assert.deepEqual(
      diff.nodes.map((n) => [n.graph, n.id, n.weights.delta]),
      [
        ['main', 'block1', 0],
        ['main', 'block2', 0],
      ],
    );
    assert.ok(lines(diff).includes('component block renamed to layer'));
    assert.ok(lines(diff).includes('block1.component block → layer'));
  });

  it('diffs the bodies of a renamed component that was then edited as added and removed', () => {
    const after = edit((d) => {
      d.components.layer = d.components.block!;
      delete d.components.block;
      nodeOf(d.components.layer, 'attn').params.heads = 2;
    });
    const diff = diffDocuments(template, after);
    // Not the same body, so not a rename: one component goes, another comes.
    assert.deepEqual(
      diff.components.map((c) => `${c.status} ${c.name}`),
      ['added layer', 'removed block'],
    );
  });

  it('without counts it still lists the edits, with no weight figures', () => {
    const after = edit((d) => {
      nodeOf(d.components.block!, 'ffn').params.ratio = 2;
    });
    const diff = diffDocuments(template, after);
    assert.equal(diff.totalParams, null);
    assert.deepEqual(lines(diff), ['block/ffn.ratio 4 → 2']);
  });

  it('reports label edits', () => {
    const after = edit((d) => {
      nodeOf(d.main, 'head').label = 'LM head';
    });
    assert.deepEqual(lines(diffDocuments(template, after)), ['head: label unset → LM head']);
  });
});
