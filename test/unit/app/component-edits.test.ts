import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { analyzeDocument } from '../../../engine/graph/analyze.ts';
import {
  componentUsers,
  deleteComponentProblem,
  renameComponentProblem,
} from '../../../engine/graph/edits/component-edits.ts';
import { guessCarry, wrapProblem } from '../../../engine/graph/edits/recursion-edits.ts';
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
const weightNames = (doc: GraphDocument) => [...(compile(doc).program?.params.keys() ?? [])].sort();

describe('component edits', () => {
  it('creates an empty component with an input and an output port, undone in one step', () => {
    const s0 = open('tiny-gpt.json');
    const s1 = run(s0, edit({ type: 'createComponent', name: 'net' }));
    const body = s1.doc.components.net;
    assert.ok(body);
    assert.deepEqual(
      body.nodes.map((n) => [n.kind, n.params.name]),
      [
        ['component-input', 'x'],
        ['component-output', 'out'],
      ],
    );
    assert.equal(run(s1, { type: 'undo' }).doc, s0.doc);
    // A taken or malformed name changes nothing (no undo step either).
    assert.equal(run(s1, edit({ type: 'createComponent', name: 'net' })), s1);
    assert.equal(run(s1, edit({ type: 'createComponent', name: 'main' })), s1);
    // Creating then deleting is the original document.
    assert.deepEqual(run(s1, edit({ type: 'deleteComponent', name: 'net' })).doc, s0.doc);
  });

  it('renames a component: instances, recursions, presets and the weight scope follow', () => {
    const s0 = open('trm-mlp-sudoku.json');
    const before = weightNames(s0.doc);
    const s1 = run(s0, edit({ type: 'renameComponent', from: 'net', to: 'core' }));
    assert.ok(!('net' in s1.doc.components));
    assert.deepEqual(Object.keys(s1.doc.components), [
      'layer',
      'core',
      'latent_step',
      'latent_recursion',
      'deep_step',
    ]);
    assert.deepEqual(componentUsers(s1.doc, 'core'), ['latent_step/net', 'latent_recursion/net']);
    assert.deepEqual(componentUsers(s1.doc, 'net'), []);
    assert.equal(compile(s1.doc).totalParams, compile(s0.doc).totalParams);
    assert.equal(analyzeDocument(s1.doc).diagnostics.length, 0);
    // Shared weights live under the component's name: they move with it, one for one.
    const after = weightNames(s1.doc);
    assert.equal(after.length, before.length);
    assert.ok(after.some((w) => w.includes('core/')));
    assert.ok(!after.some((w) => w.includes('net/')));
    assert.equal(run(s1, { type: 'undo' }).doc, s0.doc, 'one undo step');
    // Renaming back is the original document.
    assert.deepEqual(
      run(s1, edit({ type: 'renameComponent', from: 'core', to: 'net' })).doc,
      s0.doc,
    );
  });

  it('renames a recursion body and keeps the open view on it', () => {
    const s0 = run(open('trm-mlp-sudoku.json'), { type: 'openGraph', name: 'deep_step' });
    const s1 = run(s0, edit({ type: 'renameComponent', from: 'deep_step', to: 'outer' }));
    const loop = s1.doc.main.nodes.find((n) => n.id === 'supervise');
    assert.equal(loop?.params.component, 'outer');
    assert.deepEqual(s1.view, ['main', 'outer']);
  });

  it('moves preset addresses with a rename and copies them with a duplicate', () => {
    const doc = template('tiny-gpt.json');
    const presets = { big: { params: { 'block/attn': { heads: 8 }, 'main/ln_f': {} } } };
    const s0 = run(initialState(), {
      type: 'load',
      doc: { ...doc, meta: { ...doc.meta, presets } },
      path: null,
    });
    const params = (s: EditorState) =>
      (s.doc.meta?.presets as { big: { params: object } }).big.params;
    const s1 = run(s0, edit({ type: 'renameComponent', from: 'block', to: 'layer' }));
    assert.deepEqual(params(s1), { 'layer/attn': { heads: 8 }, 'main/ln_f': {} });
    const s2 = run(s1, edit({ type: 'duplicateComponent', name: 'layer', copy: 'layer_copy' }));
    assert.deepEqual(params(s2), {
      'layer/attn': { heads: 8 },
      'layer_copy/attn': { heads: 8 },
      'main/ln_f': {},
    });
    const s3 = run(s2, edit({ type: 'deleteComponent', name: 'layer_copy' }));
    assert.deepEqual(s3.doc, s1.doc, 'delete is the inverse of duplicate, presets included');
  });

  it('duplicates a component beside the original; deleting the copy undoes it', () => {
    const s0 = open('trm-mlp-sudoku.json');
    const s1 = run(s0, edit({ type: 'duplicateComponent', name: 'layer', copy: 'layer_copy' }));
    assert.deepEqual(Object.keys(s1.doc.components).slice(0, 3), ['layer', 'layer_copy', 'net']);
    assert.deepEqual(s1.doc.components.layer_copy, s0.doc.components.layer);
    assert.notEqual(s1.doc.components.layer_copy, s0.doc.components.layer, 'a copy, not a share');
    assert.deepEqual(componentUsers(s1.doc, 'layer_copy'), []);
    assert.equal(compile(s1.doc).totalParams, compile(s0.doc).totalParams, 'unused: no weights');
    assert.equal(run(s1, { type: 'undo' }).doc, s0.doc);
    assert.deepEqual(run(s1, edit({ type: 'deleteComponent', name: 'layer_copy' })).doc, s0.doc);
  });

  it('refuses to delete a used component with a sentence naming its users', () => {
    const s0 = open('trm-mlp-sudoku.json');
    assert.equal(
      deleteComponentProblem(s0.doc, 'net'),
      'Component "net" is used by latent_step/net, latent_recursion/net; delete or ungroup them first.',
    );
    assert.equal(
      deleteComponentProblem(s0.doc, 'deep_step'),
      'Component "deep_step" is used by main/supervise; delete or ungroup it first.',
    );
    assert.equal(run(s0, edit({ type: 'deleteComponent', name: 'net' })), s0, 'nothing changes');
  });

  it('refuses bad and taken names for a rename', () => {
    const doc = template('trm-mlp-sudoku.json');
    assert.match(renameComponentProblem(doc, 'net', 'layer') ?? '', /already exists/);
    assert.match(renameComponentProblem(doc, 'net', '2x') ?? '', /cannot name a component/);
    assert.match(renameComponentProblem(doc, 'net', 'main') ?? '', /cannot name a component/);
    assert.match(renameComponentProblem(doc, 'nope', 'x') ?? '', /There is no component "nope"/);
    assert.equal(renameComponentProblem(doc, 'net', 'net'), null);
  });
});

describe('component edits over every template', () => {
  const files = [
    'tiny-gpt.json',
    'trm-sudoku.json',
    'trm-mlp-sudoku.json',
    'recursive-lm.json',
    'tiny-bert.json',
  ];
  it('rename then rename back, and duplicate then delete the copy, are the original', () => {
    for (const file of files) {
      const s0 = open(file);
      const total = compile(s0.doc).totalParams;
      for (const name of Object.keys(s0.doc.components)) {
        const renamed = run(s0, edit({ type: 'renameComponent', from: name, to: `${name}_r` }));
        assert.notEqual(renamed.doc, s0.doc, `${file}: ${name} renamed`);
        assert.equal(compile(renamed.doc).totalParams, total, `${file}: ${name} keeps its weights`);
        assert.deepEqual(componentUsers(renamed.doc, name), [], `${file}: no use of ${name} left`);
        const back = run(renamed, edit({ type: 'renameComponent', from: `${name}_r`, to: name }));
        assert.deepEqual(back.doc, s0.doc, `${file}: ${name} renamed back`);
        const copied = run(s0, edit({ type: 'duplicateComponent', name, copy: `${name}_c` }));
        const gone = run(copied, edit({ type: 'deleteComponent', name: `${name}_c` }));
        assert.deepEqual(gone.doc, s0.doc, `${file}: ${name} duplicated and deleted`);
        assert.equal(run(copied, { type: 'undo' }).doc, s0.doc);
      }
    }
  });
});

describe('wrap in recursion', () => {
  it('replaces an instance by a recursion over its component, wired alike, in one undo step', () => {
    const s0 = open('tiny-gpt.json');
    const s1 = run(s0, edit({ type: 'wrapRecursion', graph: 'main', node: 'block1' }));
    const loop = s1.doc.main.nodes.find((n) => n.id === 'block1_loop');
    // One input, one output: the output feeds the input back.
    assert.deepEqual(loop?.params, {
      component: 'block',
      steps: 2,
      carry: [{ output: 'out', input: 'x' }],
    });
    assert.deepEqual(s1.selection, ['block1_loop']);
    assert.ok(!s1.doc.main.nodes.some((n) => n.id === 'block1'));
    const wires = (s: EditorState, id: string) =>
      s.doc.main.edges
        .filter((e) => e.from.node === id || e.to.node === id)
        .map((e) => `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`.replaceAll(id, '*'));
    assert.deepEqual(wires(s1, 'block1_loop'), wires(s0, 'block1'));
    // block1 had weights of its own; the recursion's steps share one set under "block/".
    assert.equal(compile(s1.doc).totalParams, compile(s0.doc).totalParams);
    assert.equal(
      analyzeDocument(s1.doc).diagnostics.filter((d) => d.severity === 'error').length,
      0,
    );
    assert.equal(run(s1, { type: 'undo' }).doc, s0.doc);
  });

  it('refuses what is not a component instance', () => {
    const doc = template('trm-mlp-sudoku.json');
    assert.match(wrapProblem(doc, 'main', 'supervise') ?? '', /is a recursion, not a component/);
    assert.match(wrapProblem(doc, 'main', 'nope') ?? '', /Select one component instance/);
    assert.equal(wrapProblem(doc, 'latent_step', 'net'), null);
  });

  it('guesses carry from port names: same names first, else the only pair', () => {
    const port = (name: string) => ({ name, doc: '', type: 'any' as const });
    const ports = (i: string[], o: string[]) => ({ inputs: i.map(port), outputs: o.map(port) });
    assert.deepEqual(guessCarry(ports(['x', 'y', 'z'], ['y', 'z'])), [
      { output: 'y', input: 'y' },
      { output: 'z', input: 'z' },
    ]);
    assert.deepEqual(guessCarry(ports(['h'], ['out'])), [{ output: 'out', input: 'h' }]);
    assert.deepEqual(guessCarry(ports(['a', 'b'], ['out'])), []);
    assert.deepEqual(guessCarry(undefined), []);
  });
});
