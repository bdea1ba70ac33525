import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { Graph, GraphDocument } from '../../../engine/graph/schema.ts';
import { groupNodes, groupProblem, ungroupNode } from '../../../engine/graph/edits/grouping.ts';
import { edgeKey } from '../../../engine/graph/edits/apply-edit.ts';

const templates = readdirSync('templates')
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const r = parseDocument(readFileSync(`templates/${f}`, 'utf8'));
    assert.ok(r.ok, f);
    return { file: f, doc: r.doc };
  });

/** Node and wire order in their arrays carries no meaning; everything else must match. */
function canonical(g: Graph): Graph {
  return {
    ...g,
    nodes: [...g.nodes].sort((a, b) => a.id.localeCompare(b.id)),
    edges: [...g.edges].sort((a, b) => edgeKey(a).localeCompare(edgeKey(b))),
  };
}
function canonicalDoc(doc: GraphDocument): GraphDocument {
  const components = Object.fromEntries(
    Object.entries(doc.components).map(([k, c]) => [k, canonical(c)]),
  );
  return { ...doc, main: canonical(doc.main), components };
}

const errorCount = (doc: GraphDocument) =>
  compile(doc).diagnostics.filter((d) => d.severity === 'error').length;

describe('group and ungroup, over every template', () => {
  for (const { file, doc } of templates) {
    const graphs = ['main', ...Object.keys(doc.components)];
    it(`${file}: ungroup(group(selection)) is the original, with the same parameters`, () => {
      const before = compile(doc);
      let grouped = 0;
      fc.assert(
        fc.property(
          fc.constantFrom(...graphs).chain((g) =>
            fc.tuple(
              fc.constant(g),
              fc.subarray(
                (g === 'main' ? doc.main : doc.components[g])!.nodes.map((n) => n.id),
                { minLength: 1 },
              ),
            ),
          ),
          ([graph, ids]) => {
            const r = groupNodes(doc, graph, ids, 'grp');
            if ('error' in r) {
              assert.equal(r.error, groupProblem(doc, graph, ids, 'grp'));
              return;
            }
            grouped++;
            const after = compile(r.doc);
            assert.equal(after.totalParams, before.totalParams, `params after grouping ${ids}`);
            assert.equal(errorCount(r.doc), errorCount(doc), `errors after grouping ${ids}`);
            const g = graph === 'main' ? r.doc.main : r.doc.components[graph]!;
            const instance = g.nodes.find(
              (n) => n.kind === 'component' && n.params.component === 'grp',
            );
            assert.ok(instance, 'one instance replaces the selection');
            const back = ungroupNode(r.doc, graph, instance.id);
            assert.ok('doc' in back, 'error' in back ? back.error : '');
            assert.deepEqual(canonicalDoc(back.doc), canonicalDoc(doc));
          },
        ),
        { numRuns: 40, seed: 13 },
      );
      assert.ok(grouped > 0, 'some selections group');
    });
  }
});
