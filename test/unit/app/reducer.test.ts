import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { analyzeDocument } from '../../../engine/graph/analyze.ts';
import { connectionProblem } from '../../../engine/graph/edits/connections.ts';
import { cloneItems } from '../../../renderer/src/state/clone-items.ts';
import {
  initialState,
  isDirty,
  reducer,
  type Action,
  type EditorState,
} from '../../../renderer/src/state/reducer.ts';
import { initialParams, paramFields } from '../../../renderer/src/kinds.ts';

const gpt = (() => {
  const r = parseDocument(readFileSync('templates/tiny-gpt.json', 'utf8'));
  assert.ok(r.ok);
  return r.doc;
})();

const run = (s: EditorState, ...actions: Action[]) => actions.reduce(reducer, s);
const loaded = () => run(initialState(), { type: 'load', doc: gpt, path: null });

describe('editor reducer', () => {
  it('applies edits, undoes and redoes them exactly', () => {
    const s0 = loaded();
    const s1 = run(
      s0,
      {
        type: 'edit',
        edit: { type: 'setParam', graph: 'main', node: 'ln_f', key: 'eps', value: 1e-3 },
      },
      { type: 'edit', edit: { type: 'removeItems', graph: 'main', nodes: ['pos'], edges: [] } },
    );
    assert.ok(isDirty(s1));
    assert.ok(!s1.doc.main.nodes.some((n) => n.id === 'pos'));
    assert.ok(
      !s1.doc.main.edges.some((e) => e.from.node === 'pos' || e.to.node === 'pos'),
      'wires go with their node',
    );
    const back = run(s1, { type: 'undo' }, { type: 'undo' });
    assert.equal(back.doc, s0.doc);
    assert.ok(!isDirty(back));
    const again = run(back, { type: 'redo' }, { type: 'redo' });
    assert.equal(again.doc, s1.doc);
    // A new edit after undo drops the redo branch.
    const branched = run(
      s1,
      { type: 'undo' },
      { type: 'edit', edit: { type: 'rename', name: 'x' } },
    );
    assert.deepEqual(branched.future, []);
  });

  it('ignores edits that change nothing, so history stays meaningful', () => {
    const s0 = loaded();
    const s1 = run(s0, {
      type: 'edit',
      edit: {
        type: 'connect',
        graph: 'main',
        edge: gpt.main.edges[0] as GraphDocument['main']['edges'][0],
      },
    });
    assert.equal(s1, s0);
  });

  it('a wire into a taken input replaces the old one', () => {
    const s = run(loaded(), {
      type: 'edit',
      edit: {
        type: 'connect',
        graph: 'main',
        edge: { from: { node: 'block1', port: 'out' }, to: { node: 'ln_f', port: 'x' } },
      },
    });
    const into = s.doc.main.edges.filter((e) => e.to.node === 'ln_f');
    assert.deepEqual(
      into.map((e) => e.from.node),
      ['block1'],
    );
  });

  it('duplicates with fresh ids and the wires among the copies', () => {
    const picked = gpt.main.nodes.filter((n) => n.id === 'block1' || n.id === 'block2');
    const copy = cloneItems(gpt.main, picked, gpt.main.edges, { x: 40, y: 40 });
    assert.deepEqual(
      copy.nodes.map((n) => n.id),
      ['block1_2', 'block2_2'],
    );
    assert.deepEqual(copy.edges, [
      { from: { node: 'block1_2', port: 'out' }, to: { node: 'block2_2', port: 'x' } },
    ]);
    const s = run(loaded(), { type: 'edit', edit: { type: 'paste', graph: 'main', ...copy } });
    assert.deepEqual(s.selection, ['block1_2', 'block2_2']);
  });

  it('navigates into components and back out when an undo removes them', () => {
    const s = run(
      loaded(),
      { type: 'openGraph', name: 'block' },
      { type: 'openGraph', name: 'nope' },
    );
    assert.deepEqual(s.view, ['main', 'block']);
    assert.deepEqual(run(s, { type: 'closeGraphs', depth: 1 }).view, ['main']);
  });
});

describe('connection checks while dragging', () => {
  const info = analyzeDocument(gpt).graphs.main;
  const check = (source: string, sourceHandle: string, target: string, targetHandle: string) =>
    connectionProblem(gpt.main, info, { source, sourceHandle, target, targetHandle });

  it('refuses token ids into an activations input', () => {
    assert.match(
      check('tokens', 'tokens', 'ln_f', 'x') ?? '',
      /takes activations, but "tokens.tokens" gives token ids/,
    );
  });
  it('refuses a taken input, a self-loop and a cycle', () => {
    assert.match(check('embed', 'out', 'ln_f', 'x') ?? '', /already wired/);
    assert.match(check('ln_f', 'out', 'ln_f', 'x') ?? '', /cannot feed itself/);
    const open = { ...gpt.main, edges: gpt.main.edges.filter((e) => e.to.node !== 'block1') };
    const problem = connectionProblem(open, info, {
      source: 'ln_f',
      sourceHandle: 'out',
      target: 'block1',
      targetHandle: 'x',
    });
    assert.match(problem ?? '', /cycle/);
  });
  it('accepts a valid wire', () => {
    const open = { ...gpt.main, edges: gpt.main.edges.filter((e) => e.to.node !== 'ln_f') };
    assert.equal(
      connectionProblem(open, info, {
        source: 'block1',
        sourceHandle: 'out',
        target: 'ln_f',
        targetHandle: 'x',
      }),
      null,
    );
  });
});

describe('inspector fields come from the kind schema', () => {
  it('reads types, defaults, required flags and help from zod', () => {
    const fields = paramFields('attention');
    const heads = fields.find((f) => f.key === 'heads');
    assert.deepEqual(
      [heads?.type, heads?.required, heads?.help],
      ['integer', true, 'Number of query heads H.'],
    );
    const causal = fields.find((f) => f.key === 'causal');
    assert.deepEqual([causal?.type, causal?.default, causal?.required], ['boolean', true, false]);
    assert.deepEqual(paramFields('ffn').find((f) => f.key === 'activation')?.options, [
      'relu',
      'gelu',
      'swiglu',
    ]);
  });
  it('binds the required sizes of a new node to the document dims', () => {
    assert.deepEqual(initialParams('attention', { D: 64, H: 4 }), { width: 'D', heads: 'H' });
    assert.deepEqual(initialParams('attention', {}), {});
  });
});
