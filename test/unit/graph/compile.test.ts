import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import { ok, parsed, rawDoc, type GraphSpec } from './helpers.ts';

const D = 32;
const V = 10;

const trm = () => parsed(JSON.parse(readFileSync('templates/trm-sudoku.json', 'utf8')));

describe('compile: program outputs and state', () => {
  it('heads inside a recursion body give one output each, in every mode', () => {
    const doc = trm();
    for (const mode of ['check', 'step', 'full'] as const) {
      const r = compile(doc, { mode });
      assert.deepEqual(
        r.program?.outputs.map((o) => [o.name, o.role, o.shape]),
        [
          ['answer', 'logits', ['B', doc.dims.L, doc.dims.V]],
          ['halt', 'halt', ['B']],
        ],
        mode,
      );
    }
  });

  it('step mode turns the carried state into program inputs with init and next values', () => {
    const r = compile(trm(), { mode: 'step' });
    const sup = r.program?.supervision;
    assert.ok(sup);
    assert.equal(sup.steps, 4);
    assert.deepEqual(
      sup.state.map((s) => [s.input, s.shape]),
      [
        ['supervise.y', ['B', 16, 64]],
        ['supervise.z', ['B', 16, 64]],
      ],
    );
    assert.deepEqual(
      r.program?.inputs.map((i) => [i.name, i.role]),
      [
        ['puzzle', 'tokens'],
        ['supervise.y', 'state'],
        ['supervise.z', 'state'],
      ],
    );
  });

  it('the same head id in two different graphs gives two outputs, not a silent overwrite', () => {
    const probe: GraphSpec = {
      nodes: [
        ['h', 'component-input', { name: 'h' }],
        ['head', 'classifier-head', { width: D, classes: 3 }],
        ['o', 'component-output', { name: 'h' }],
      ],
      edges: ['h.out -> head.x', 'h.out -> o.value'],
    };
    const r = ok(
      rawDoc(
        {
          nodes: [
            ['tok', 'token-input', { vocab: V, maxLength: 8 }],
            ['emb', 'token-embedding', { vocab: V, width: D }],
            ['c', 'component', { component: 'probe' }],
            ['head', 'lm-head', { width: D, vocab: V }],
          ],
          edges: ['tok.tokens -> emb.tokens', 'emb.out -> c.h', 'c.h -> head.x'],
        },
        { components: { probe } },
      ),
    );
    assert.deepEqual(
      r.program?.outputs.map((o) => [o.name, o.node, o.shape]),
      [
        ['c.head', 'main/c/head', ['B', 'T', 3]],
        ['head', 'main/head', ['B', 'T', V]],
      ],
    );
  });

  it('a component with a head used twice names both outputs by path, in every mode', () => {
    const probe: GraphSpec = {
      nodes: [
        ['h', 'component-input', { name: 'h' }],
        ['answer', 'classifier-head', { width: D, classes: 3 }],
        ['o', 'component-output', { name: 'h' }],
      ],
      edges: ['h.out -> answer.x', 'h.out -> o.value'],
    };
    const doc = rawDoc(
      {
        nodes: [
          ['tok', 'token-input', { vocab: V, maxLength: 8 }],
          ['emb', 'token-embedding', { vocab: V, width: D }],
          ['c1', 'component', { component: 'probe', shared: false }],
          [
            'r',
            'recursion',
            { component: 'probe', steps: 3, carry: [{ output: 'h', input: 'h' }] },
          ],
          ['head', 'lm-head', { width: D, vocab: V }],
        ],
        edges: ['tok.tokens -> emb.tokens', 'emb.out -> c1.h', 'c1.h -> r.h', 'r.h -> head.x'],
      },
      { components: { probe } },
    );
    for (const mode of ['check', 'step', 'full'] as const) {
      const r = ok(doc, { mode });
      assert.deepEqual(
        r.program?.outputs.map((o) => o.name),
        ['c1.answer', 'r.answer', 'head'],
        mode,
      );
      assert.equal(r.totalParams, V * D + 2 * D * 3 + D * V, mode);
    }
  });

  it('the summary counts of every main node add up to the total', () => {
    for (const file of ['templates/tiny-gpt.json', 'templates/trm-sudoku.json']) {
      const doc = parsed(JSON.parse(readFileSync(file, 'utf8')));
      const r = compile(doc);
      const sum = [...r.nodes.values()]
        .filter((n) => n.graph === 'main')
        .reduce((s, n) => s + n.params, 0);
      assert.equal(sum, r.totalParams, file);
    }
  });
});

describe('migrations', () => {
  const v0 = {
    name: 'old',
    dims: { D, V },
    graph: {
      nodes: [
        { id: 'tok', kind: 'token-input', params: { vocab: 'V', maxLength: 8 } },
        { id: 'emb', kind: 'token-embedding', params: { vocab: 'V', width: 'D' } },
        { id: 'head', kind: 'lm-head', params: { width: 'D', vocab: 'V', tiedTo: 'emb' } },
      ],
      edges: [
        ['tok.tokens', 'emb.tokens'],
        ['emb.out', 'head.x'],
      ],
    },
  };

  it('a version-0 document (graph, string-pair edges) migrates and compiles', () => {
    const r = parseDocument(JSON.stringify(v0));
    assert.ok(r.ok, JSON.stringify(r.diagnostics));
    assert.equal(r.doc.version, 1);
    assert.deepEqual(r.doc.main.edges[1], {
      from: { node: 'emb', port: 'out' },
      to: { node: 'head', port: 'x' },
    });
    assert.equal(ok(r.doc).totalParams, V * D);
  });

  it('version-0 components migrate too', () => {
    const doc = {
      ...v0,
      components: {
        id: {
          nodes: [
            { id: 'h', kind: 'component-input', params: { name: 'h' } },
            { id: 'o', kind: 'component-output', params: { name: 'h' } },
          ],
          edges: [['h.out', 'o.value']],
        },
      },
    };
    const r = parseDocument(doc);
    assert.ok(r.ok, JSON.stringify(r.diagnostics));
    assert.deepEqual(r.doc.components.id?.edges, [
      { from: { node: 'h', port: 'out' }, to: { node: 'o', port: 'value' } },
    ]);
  });

  for (const version of [2, 99, '1', -1, null]) {
    it(`version ${JSON.stringify(version)} is refused with the unsupported-version message`, () => {
      const r = parseDocument({ ...rawDoc({ nodes: [], edges: [] }), version });
      assert.equal(r.ok, false);
      assert.deepEqual(
        r.diagnostics.map((d) => d.code),
        ['unsupported-version'],
      );
      assert.match(
        r.diagnostics[0]!.message,
        new RegExp(
          `Document version ${JSON.stringify(version)} is not supported; this build reads version 1`,
        ),
      );
    });
  }
});
