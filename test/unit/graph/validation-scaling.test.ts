import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeUnknown, multiplicities } from '../../../engine/graph/analyze.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import { manyComponents } from '../../support/many-components.ts';

/**
 * Validation must grow with the document, not with its square: these documents took minutes
 * (or overflowed the stack) before. The time limits are generous ceilings for a loaded
 * machine, not speed targets; `bench/validate.ts` measures the speed.
 */
const GENEROUS = { timeout: 180_000 };

describe('validation of documents with many components', () => {
  it('reports each of 4,000 empty components once, at its own graph', GENEROUS, () => {
    const a = analyzeUnknown(JSON.stringify(manyComponents(4_000, 'empty')));
    assert.equal(a.ok, false);
    const unused = a.diagnostics.filter((d) => d.code === 'unused-component');
    assert.equal(unused.length, 4_000);
    assert.equal(unused[3_999]?.graph, 'components.c3999');
    // main, the template's block and the 4,000.
    assert.equal(Object.keys(a.graphs).length, 4_002);
  });

  it('validates a main graph chaining 4,000 components', GENEROUS, () => {
    const a = analyzeUnknown(JSON.stringify(manyComponents(4_000, 'chain')));
    assert.equal(a.ok, true, a.diagnostics[0]?.message);
    // Each layer-norm holds 2·D (D = 128) weights on top of the template's.
    const template = analyzeUnknown(JSON.stringify(manyComponents(0, 'chain'))).totals.params;
    assert.equal(a.totals.params, template + 4_000 * 2 * 128);
    assert.equal(a.graphs.main?.nodes.i3999?.params, 256);
  });

  it('names a few defined components, not all of them, for an unknown one', GENEROUS, () => {
    const a = analyzeUnknown(JSON.stringify(manyComponents(4_000, 'unknown')));
    const unknown = a.diagnostics.filter((d) => d.code === 'unknown-component');
    assert.equal(unknown.length, 4_000);
    assert.match(unknown[0]?.message ?? '', /\(defined: block, c0, .* and 3,993 more\)/);
    assert.ok(unknown.every((d) => d.message.length < 300));
  });

  it('stops at the nesting limit in a chain of 4,000 nested components', GENEROUS, () => {
    const a = analyzeUnknown(JSON.stringify(manyComponents(4_000, 'nested')));
    assert.deepEqual(
      a.diagnostics.map((d) => d.code),
      ['too-deep'],
    );
  });

  it('refuses 200,000 components at once with a sentence, before validating any', () => {
    const a = analyzeUnknown(JSON.stringify(manyComponents(200_000, 'empty')));
    assert.deepEqual(
      a.diagnostics.map((d) => d.message),
      [
        'The document defines 200,001 components, more than the 4,096 a document may have. Remove the unused ones (a model reuses a component by placing it again, not by copying it).',
      ],
    );
  });

  it('counts runs of components nested two to a level without walking every path', () => {
    // d0 holds two unshared instances of d1, … : 2^30 paths lead to d30 through 31 components.
    const doc = manyComponents(0, 'chain');
    const levels = 30;
    const position = { x: 0, y: 0 };
    for (let i = 0; i < levels; i++) {
      const next = `d${i + 1}`;
      doc.components[`d${i}`] = {
        nodes: [
          { id: 'x', kind: 'component-input', params: { name: 'x' }, position },
          { id: 'a', kind: 'component', params: { component: next, shared: false }, position },
          { id: 'b', kind: 'component', params: { component: next, shared: false }, position },
          { id: 'out', kind: 'component-output', params: { name: 'out' }, position },
        ],
        edges: [
          { from: { node: 'x', port: 'out' }, to: { node: 'a', port: 'x' } },
          { from: { node: 'a', port: 'out' }, to: { node: 'b', port: 'x' } },
          { from: { node: 'b', port: 'out' }, to: { node: 'out', port: 'value' } },
        ],
      };
    }
    doc.components[`d${levels}`] = manyComponents(1, 'chain').components.c0;
    const block1 = doc.main.nodes.find((n) => n.id === 'block1');
    if (block1) block1.params.component = 'd0';
    const parsed = parseDocument(doc);
    assert.ok(parsed.ok);
    const runs = multiplicities(parsed.doc);
    assert.equal(runs.get('d0'), 1);
    assert.equal(runs.get(`d${levels}`), 2 ** levels);
  });
});
