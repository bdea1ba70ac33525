import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { graphDigest } from '../../../engine/graph/digest.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { RunSummary } from '../../../engine/contract/api.ts';
import { documentRuns, preferredRun } from '../../../renderer/src/state/document-runs.ts';
import { formatDate } from '../../../renderer/src/format.ts';

const template = (file: string): GraphDocument => {
  const r = parseDocument(readFileSync(`templates/${file}`, 'utf8'));
  assert.ok(r.ok);
  return r.doc;
};

const run = (runId: string, name: string, graphDigest?: string): RunSummary => ({
  runId,
  name,
  ...(graphDigest ? { graphDigest } : {}),
  status: 'completed',
  startedAt: '2026-12-01T10:00:00.000Z',
  step: 10,
  steps: 10,
  backend: 'cpu',
  data: 'sudoku-4x4',
  params: 1,
  lastCheckpoint: 'step-10',
  message: null,
  dir: `/runs/${runId}`,
});

/** FNV-1a 64 with BigInt, the reference the two-halves version must match. */
function reference(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

describe('the open document’s runs', () => {
  it('fingerprints what a document computes, not where its nodes sit or what it is called', () => {
    const doc = template('trm-mlp-sudoku.json');
    const moved: GraphDocument = {
      ...doc,
      name: 'Renamed',
      main: {
        ...doc.main,
        nodes: doc.main.nodes.map((n) => ({ ...n, position: { x: 999, y: -3 } })),
      },
    };
    assert.equal(graphDigest(moved), graphDigest(doc));
    assert.match(graphDigest(doc), /^[0-9a-f]{16}$/);
    const wider = { ...doc, dims: { ...doc.dims, D: 128 } };
    assert.notEqual(graphDigest(wider), graphDigest(doc));
    assert.notEqual(graphDigest(template('trm-sudoku.json')), graphDigest(doc));
  });

  it('computes 64-bit FNV-1a exactly (checked against BigInt arithmetic)', () => {
    // The digest of an empty graph is FNV of its canonical text; compare through a tiny doc.
    const doc: GraphDocument = {
      version: 1,
      name: 'x',
      dims: { D: 4 },
      components: {},
      main: { nodes: [], edges: [] },
    };
    const text = '{"components":{},"dims":{"D":4},"main":{"edges":[],"nodes":[]}}';
    assert.equal(graphDigest(doc), reference(text));
  });

  it('lists runs of the same graph or name first, each part newest first', () => {
    const doc = template('trm-mlp-sudoku.json');
    const runs = [
      run('r5', 'Tiny GPT', 'aaaa'),
      run('r4', 'Untitled model', graphDigest(doc)),
      run('r3', 'TRM-MLP (Sudoku)'),
      run('r2', 'Other', 'bbbb'),
      run('r1', 'TRM-MLP (Sudoku)', 'cccc'),
    ];
    const split = documentRuns(runs, doc);
    assert.deepEqual(
      split.ours.map((r) => r.runId),
      ['r4', 'r3', 'r1'],
    );
    assert.deepEqual(
      split.others.map((r) => r.runId),
      ['r5', 'r2'],
    );
    assert.equal(preferredRun(split, 'r2', false)?.runId, 'r2', 'the Train panel’s run wins');
    assert.equal(preferredRun(split, 'gone', false)?.runId, 'r4');
    const none = documentRuns([run('r9', 'Tiny GPT')], doc);
    assert.equal(preferredRun(none, undefined, false), undefined, 'never another document’s');
    assert.equal(preferredRun(none, undefined, true)?.runId, 'r9');
  });

  it('formats dates one way: local, year first, 24-hour', () => {
    const at = new Date(2026, 11, 4, 8, 5);
    assert.equal(formatDate(at), '2026-12-04 08:05');
    assert.equal(formatDate(at.toISOString()), '2026-12-04 08:05');
    assert.equal(formatDate('not a date'), 'not a date');
  });
});
