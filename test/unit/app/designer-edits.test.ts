import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { deleteDimProblem, dimUsers } from '../../../engine/graph/edits/dim-edits.ts';
import { groupProblem, ungroupProblem } from '../../../engine/graph/edits/grouping.ts';
import {
  initialState,
  reducer,
  type Action,
  type EditorState,
} from '../../../renderer/src/state/reducer.ts';

const template = (file: string): GraphDocument => {
  const r = parseDocument(readFileSync(`templates/${file}`, 'utf8'));
  assert.ok(r.ok);
  return r.doc;
};
const run = (s: EditorState, ...actions: Action[]) => actions.reduce(reducer, s);
const open = (file: string) =>
  run(initialState(), { type: 'load', doc: template(file), path: null });
const edit = (e: Extract<Action, { type: 'edit' }>['edit']): Action => ({ type: 'edit', edit: e });

describe('group and ungroup edits', () => {
  it('groups two blocks into one shared instance wired as before, undone in one step', () => {
    const s0 = open('tiny-gpt.json');
    const s1 = run(
      s0,
      edit({ type: 'group', graph: 'main', nodes: ['block1', 'block2'], component: 'stack' }),
    );
    const main = s1.doc.main;
    assert.deepEqual(s1.selection, ['stack']);
    assert.ok(!main.nodes.some((n) => n.id === 'block1' || n.id === 'block2'));
    const instance = main.nodes.find((n) => n.id === 'stack');
    assert.deepEqual(instance?.params, { component: 'stack' });
    const body = s1.doc.components.stack;
    assert.ok(body);
    const ports = body.nodes.filter((n) => n.kind.startsWith('component-'));
    assert.deepEqual(
      ports.map((n) => [n.kind, n.params.name]),
      [
        ['component-input', 'x'],
        ['component-output', 'out'],
      ],
    );
    assert.ok(main.edges.some((e) => e.to.node === 'stack' && e.to.port === 'x'));
    assert.ok(main.edges.some((e) => e.from.node === 'stack' && e.from.port === 'out'));
    assert.equal(compile(s1.doc).totalParams, compile(s0.doc).totalParams);
    assert.equal(run(s1, { type: 'undo' }).doc, s0.doc, 'one undo step');

    const s2 = run(s1, edit({ type: 'ungroup', graph: 'main', node: 'stack' }));
    assert.deepEqual(new Set(s2.selection), new Set(['block1', 'block2']));
    assert.ok(!('stack' in s2.doc.components), 'an unused component goes with its last instance');
    assert.equal(compile(s2.doc).totalParams, compile(s0.doc).totalParams);
    assert.equal(run(s2, { type: 'undo' }).doc, s1.doc, 'one undo step');
  });

  it('names ports after the wired ports, unique within the component', () => {
    const s = run(
      open('trm-mlp-sudoku.json'),
      edit({
        type: 'group',
        graph: 'main',
        nodes: ['y_init', 'z_init', 'supervise'],
        component: 'solve',
      }),
    );
    const body = s.doc.components.solve;
    assert.ok(body);
    const names = (kind: string) =>
      body.nodes.filter((n) => n.kind === kind).map((n) => n.params.name);
    // embed.out feeds three selected nodes: one input, named after the first wired port.
    assert.deepEqual(names('component-input'), ['like']);
    // Nothing leaves the selection: its last node's first output is exposed, unwired.
    assert.equal(names('component-output').length, 1);
    assert.equal(compile(s.doc).totalParams, compile(template('trm-mlp-sudoku.json')).totalParams);
  });

  it('refuses selections that cannot be a component, with a sentence naming the node', () => {
    const gpt = template('tiny-gpt.json');
    assert.match(
      groupProblem(gpt, 'main', ['embed', 'head'], 'g') ?? '',
      /Node "pos" lies between/,
    );
    assert.match(groupProblem(gpt, 'main', ['tokens'], 'g') ?? '', /Node "tokens" feeds the model/);
    assert.match(groupProblem(gpt, 'main', ['block1'], 'block') ?? '', /"block" already exists/);
    assert.match(groupProblem(gpt, 'main', [], 'g') ?? '', /Select the nodes/);
    const lm = template('recursive-lm.json');
    assert.match(
      groupProblem(lm, 'main', ['norm', 'head'], 'g') ?? '',
      /"head" is tied to "embed"/,
    );
    assert.match(ungroupProblem(lm, 'main', 'repeat') ?? '', /Node "repeat" is a recursion/);
    const s0 = open('tiny-gpt.json');
    assert.equal(
      run(s0, edit({ type: 'group', graph: 'main', nodes: ['tokens'], component: 'g' })),
      s0,
    );
  });

  it('moves preset addresses with the nodes and back', () => {
    const s0 = open('recursive-lm.json');
    const s1 = run(
      s0,
      edit({ type: 'group', graph: 'main', nodes: ['repeat', 'norm'], component: 'trunk' }),
    );
    const presets = s1.doc.meta?.presets as Record<string, { params?: Record<string, unknown> }>;
    assert.deepEqual(Object.keys(presets['char-small-unshared']?.params ?? {}), ['trunk/repeat']);
    const s2 = run(s1, edit({ type: 'ungroup', graph: 'main', node: 'trunk' }));
    assert.deepEqual(s2.doc.meta, s0.doc.meta);
  });
});

describe('dim edits', () => {
  it('renames a dim: node parameters, recursion steps and presets follow; undo restores', () => {
    const s0 = open('trm-mlp-sudoku.json');
    const s1 = run(s0, edit({ type: 'renameDim', from: 'N_sup', to: 'supervision' }));
    assert.equal(s1.doc.dims.supervision, s0.doc.dims.N_sup);
    assert.ok(!('N_sup' in s1.doc.dims));
    assert.equal(s1.doc.main.nodes.find((n) => n.id === 'supervise')?.params.steps, 'supervision');
    const presets = s1.doc.meta?.presets as Record<string, { dims: Record<string, number> }>;
    assert.equal(presets['sudoku-9x9']?.dims.supervision, 16);
    assert.deepEqual(dimUsers(s1.doc, 'N_sup'), []);
    assert.equal(compile(s1.doc).totalParams, compile(s0.doc).totalParams);
    assert.equal(
      compile(s1.doc).diagnostics.filter((d) => d.severity === 'error').length,
      0,
      'every use followed',
    );
    assert.equal(run(s1, { type: 'undo' }).doc, s0.doc);
  });

  it('renames D everywhere, components included, and refuses a taken or malformed name', () => {
    const s0 = open('tiny-gpt.json');
    const s1 = run(s0, edit({ type: 'renameDim', from: 'D', to: 'width' }));
    assert.ok(JSON.stringify(s1.doc).includes('"width"'));
    assert.deepEqual(dimUsers(s1.doc, 'D'), []);
    assert.equal(compile(s1.doc).totalParams, compile(s0.doc).totalParams);
    assert.equal(run(s0, edit({ type: 'renameDim', from: 'D', to: 'H' })), s0);
    assert.equal(run(s0, edit({ type: 'renameDim', from: 'D', to: '1x' })), s0);
  });

  it('refuses to delete a dim in use, naming its users; deletes an unused one', () => {
    const s0 = open('tiny-gpt.json');
    assert.match(deleteDimProblem(s0.doc, 'V') ?? '', /^Dim "V" is used by main\/tokens\.vocab/);
    assert.equal(run(s0, edit({ type: 'setDim', name: 'V', value: undefined })), s0);
    const s1 = run(s0, edit({ type: 'setDim', name: 'K', value: 3 }));
    assert.equal(s1.doc.dims.K, 3);
    const s2 = run(s1, edit({ type: 'setDim', name: 'K', value: undefined }));
    assert.ok(!('K' in s2.doc.dims));
    assert.equal(run(s2, { type: 'undo' }).doc, s1.doc);
  });

  it('applies a preset as one undoable edit', () => {
    const s0 = open('trm-mlp-sudoku.json');
    const s1 = run(s0, edit({ type: 'applyPreset', name: 'sudoku-9x9' }));
    assert.equal(s1.doc.dims.L, 81);
    assert.equal(s1.doc.meta?.task, 'sudoku-9x9');
    assert.equal(run(s1, { type: 'undo' }).doc, s0.doc);
  });
});
