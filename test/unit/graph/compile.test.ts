import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import { applyPreset, presetNames } from '../../../engine/graph/presets.ts';
import { check, errorCodes, ok, parsed, rawDoc, type GraphSpec } from './helpers.ts';

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
        // The puzzle-prefix position and the 16 cells.
        ['supervise.y', ['B', 17, 64]],
        ['supervise.z', ['B', 17, 64]],
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

describe('compile: every mode counts the same weights', () => {
  for (const file of readdirSync('templates').filter((f) => f.endsWith('.json'))) {
    it(`${file}, every preset: check, step and full agree`, () => {
      const doc = parsed(JSON.parse(readFileSync(`templates/${file}`, 'utf8')));
      const variants = [doc, ...presetNames(doc).map((p) => applyPreset(doc, p))];
      for (const v of variants) {
        assert.ok(!('error' in v));
        const d = 'doc' in v ? v.doc : v;
        const counts = (['check', 'step', 'full'] as const).map(
          (mode) => compile(d, { mode }).totalParams,
        );
        assert.equal(new Set(counts).size, 1, `${file}: ${counts.join(' / ')}`);
      }
    });
  }
});

describe('compile: names that are also Object.prototype members', () => {
  it('a component called "constructor" and a dim called "toString" work like any other', () => {
    const blk: GraphSpec = {
      nodes: [
        ['h', 'component-input', { name: 'h' }],
        ['lin', 'linear', { inFeatures: 'toString', outFeatures: 'toString' }],
        ['o', 'component-output', { name: 'h' }],
      ],
      edges: ['h.out -> lin.x', 'lin.out -> o.value'],
    };
    const r = ok(
      rawDoc(
        {
          nodes: [
            ['tok', 'token-input', { vocab: V, maxLength: 8 }],
            ['emb', 'token-embedding', { vocab: V, width: 'toString' }],
            ['c', 'component', { component: 'constructor' }],
            ['head', 'lm-head', { width: 'toString', vocab: V, tiedTo: 'emb' }],
          ],
          edges: ['tok.tokens -> emb.tokens', 'emb.out -> c.h', 'c.h -> head.x'],
        },
        { dims: { toString: 12 }, components: { constructor: blk } },
      ),
    );
    assert.equal(r.totalParams, V * 12 + 12 * 12);
  });
});

describe('compile: unused components', () => {
  it('a component no instance reaches from main is a warning; nested use counts', () => {
    const id: GraphSpec = {
      nodes: [
        ['h', 'component-input', { name: 'h' }],
        ['o', 'component-output', { name: 'h' }],
      ],
      edges: ['h.out -> o.value'],
    };
    const wrap: GraphSpec = {
      nodes: [
        ['h', 'component-input', { name: 'h' }],
        ['i', 'component', { component: 'inner' }],
        ['o', 'component-output', { name: 'h' }],
      ],
      edges: ['h.out -> i.h', 'i.h -> o.value'],
    };
    const r = compile(
      parsed(
        rawDoc(
          {
            nodes: [
              ['tok', 'token-input', { vocab: V, maxLength: 8 }],
              ['emb', 'token-embedding', { vocab: V, width: D }],
              ['w', 'component', { component: 'wrap' }],
              ['head', 'lm-head', { width: D, vocab: V, tiedTo: 'emb' }],
            ],
            edges: ['tok.tokens -> emb.tokens', 'emb.out -> w.h', 'w.h -> head.x'],
          },
          { components: { wrap, inner: id, spare: id } },
        ),
      ),
    );
    assert.ok(r.program);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.code, d.graph]),
      [['warning', 'unused-component', 'components.spare']],
    );
    assert.match(r.diagnostics[0]!.message, /Component "spare" is not used by the main graph/);
  });
});

describe('compile: limits', () => {
  const blk: GraphSpec = {
    nodes: [
      ['h', 'component-input', { name: 'h' }],
      ['lin', 'linear', { inFeatures: D, outFeatures: D }],
      ['o', 'component-output', { name: 'h' }],
    ],
    edges: ['h.out -> lin.x', 'lin.out -> o.value'],
  };
  const inner: GraphSpec = {
    nodes: [
      ['h', 'component-input', { name: 'h' }],
      ['ri', 'recursion', { component: 'blk', steps: 4096, carry: [{ output: 'h', input: 'h' }] }],
      ['o', 'component-output', { name: 'h' }],
    ],
    edges: ['h.out -> ri.h', 'ri.h -> o.value'],
  };
  const huge = rawDoc(
    {
      nodes: [
        ['tok', 'token-input', { vocab: V, maxLength: 8 }],
        ['emb', 'token-embedding', { vocab: V, width: D }],
        [
          'r',
          'recursion',
          { component: 'inner', steps: 4096, carry: [{ output: 'h', input: 'h' }] },
        ],
        ['head', 'lm-head', { width: D, vocab: V, tiedTo: 'emb' }],
      ],
      edges: ['tok.tokens -> emb.tokens', 'emb.out -> r.h', 'r.h -> head.x'],
    },
    { components: { blk, inner } },
  );

  it('a 4096 × 4096 recursion is refused by validation as by unrolling (issue 20)', () => {
    // Check mode lowers bodies once but counts their ops × steps: it says what training will.
    const checked = check(huge);
    assert.deepEqual(errorCodes(checked.diagnostics), ['too-large']);
    assert.equal(checked.result?.totalParams, V * D + D * D);
    // Refused after one outer step (4096 ops), not after 2M ops (which took over a minute).
    const full = check(huge, { mode: 'full' });
    assert.deepEqual(errorCodes(full.diagnostics), ['too-large']);
    assert.match(full.diagnostics[0]!.message, /more than 2,000,000 operations/);
  });

  it('per-step weights 4096 × 4096 deep are refused in check mode too, without a long walk', () => {
    const perStep = structuredClone(huge) as typeof huge & {
      main: { nodes: { params: Record<string, unknown> }[] };
      components: Record<string, { nodes: { params: Record<string, unknown> }[] }>;
    };
    perStep.main.nodes[2]!.params.weights = 'per-step';
    perStep.components.inner!.nodes[1]!.params.weights = 'per-step';
    const r = check(perStep);
    assert.deepEqual(errorCodes(r.diagnostics), ['too-large']);
  });

  it('maxOps bounds the unrolled program', () => {
    const small = compile(parsed(huge), { mode: 'full', maxOps: 100 });
    assert.deepEqual(errorCodes(small.diagnostics), ['too-large']);
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
