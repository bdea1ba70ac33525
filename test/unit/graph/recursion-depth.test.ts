import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import {
  recursionDepth,
  recursionSites,
  withRecursionSteps,
} from '../../../engine/graph/recursion-depth.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { unrollLoops } from '../../../engine/graph/ir/unroll.ts';

function load(name: string): GraphDocument {
  const r = parseDocument(readFileSync(`templates/${name}.json`, 'utf8'));
  assert.ok(r.ok);
  return r.doc;
}

describe('recursion depth', () => {
  it('finds TRM’s deep-supervision recursion and its nested ones', () => {
    const doc = load('trm-sudoku');
    assert.deepEqual(
      recursionSites(doc).map((s) => [`${s.graph}/${s.node}`, s.steps, s.deepSupervision]),
      [
        ['main/supervise', 4, true],
        ['deep_step/deep', 2, false],
        ['latent_recursion/think', 2, false],
      ],
    );
    const depth = recursionDepth(doc);
    assert.equal(depth.kind, 'supervision');
    assert.equal(depth.kind === 'supervision' && depth.trainedDepth, 4);
  });

  it('varies a recursive LM’s shared block and nothing else', () => {
    const doc = load('recursive-lm');
    const depth = recursionDepth(doc);
    assert.equal(depth.kind, 'recursion');
    if (depth.kind !== 'recursion') return;
    assert.equal(depth.trainedDepth, 4);
    assert.deepEqual(
      depth.sites.map((s) => s.node),
      ['repeat'],
    );
    const deeper = withRecursionSteps(doc, depth.sites, 7);
    assert.equal(deeper.main.nodes.find((n) => n.id === 'repeat')!.params.steps, 7);
    assert.equal(doc.main.nodes.find((n) => n.id === 'repeat')!.params.steps, 'R', 'a copy');
    // Shared weights: the same parameters and program at every depth, a Loop of more trips.
    const a = compile(doc, { mode: 'full' }).program!;
    const b = compile(deeper, { mode: 'full' }).program!;
    assert.deepEqual([...a.params.keys()], [...b.params.keys()]);
    assert.equal(b.ops.length, a.ops.length);
    const trips = (p: typeof a) => p.ops.flatMap((o) => (o.op === 'Loop' ? [o.trips] : []));
    assert.deepEqual([trips(a), trips(b)], [[4], [7]]);
    assert.ok(unrollLoops(b).ops.length > unrollLoops(a).ops.length);
  });

  it('says a plain transformer does not recurse', () => {
    assert.deepEqual(recursionDepth(load('tiny-gpt')), { kind: 'none' });
  });
});
