import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { runProgram } from '../../../engine/runtime/executor.ts';
import type { IrProgram } from '../../../engine/graph/ir.ts';
import {
  addRow,
  assertClose,
  harness,
  IDS,
  type M,
  mm,
  runSpec,
  type T3,
  tokens,
  transpose,
  useBackend,
  valueOf,
  w,
} from './helpers.ts';

const vec = (v: unknown) => v as number[];
const mat = (v: unknown) => v as M;

function run(p: IrProgram, fetch: string[], randomize = true) {
  const ids = tokens(IDS);
  const r = runSpec(p, { tokens: ids }, fetch, { randomize });
  ids.dispose();
  return r;
}

describe('embeddings and heads, numerically', () => {
  before(() => useBackend('cpu'));

  it('token-embedding looks rows up, optionally scaled by √width', () => {
    const p = harness(
      4,
      [
        {
          id: 'scaled',
          kind: 'token-embedding',
          params: { vocab: 7, width: 4, scale: 'sqrt-width' },
        },
      ],
      [['tokens.tokens', 'scaled.tokens']],
    );
    const { out, weights } = run(p, [valueOf(p, 'embed'), valueOf(p, 'scaled')]);
    const table = mat(w(weights, 'embed/table'));
    assertClose(
      out[valueOf(p, 'embed')],
      IDS.map((r) => r.map((i) => table[i])),
      0,
      'plain',
    );
    const scaled = mat(w(weights, 'scaled/table'));
    assertClose(
      out[valueOf(p, 'scaled')],
      IDS.map((r) => r.map((i) => vec(scaled[i]).map((v) => v * 2))),
      1e-6,
      'scaled',
    );
    weights.dispose();
  });

  it('position-embedding: learned table rows 0..T-1, or fixed sinusoids', () => {
    const p = harness(
      4,
      [
        { id: 'learned', kind: 'position-embedding', params: { maxLength: 8, width: 4 } },
        {
          id: 'sin',
          kind: 'position-embedding',
          params: { type: 'sinusoidal', maxLength: 8, width: 4 },
        },
      ],
      [
        ['embed.out', 'learned.x'],
        ['embed.out', 'sin.x'],
      ],
    );
    const { out, weights } = run(
      p,
      ['embed', 'learned', 'sin'].map((id) => valueOf(p, id)),
    );
    const x = out[valueOf(p, 'embed')] as T3;
    const table = mat(w(weights, 'learned/table'));
    assertClose(
      out[valueOf(p, 'learned')],
      x.map((m) => m.map((r, t) => r.map((v, j) => v + table[t]![j]!))),
      1e-6,
      'learned',
    );
    const pe = (pos: number, i: number) => {
      const angle = pos / Math.pow(10000, (i - (i % 2)) / 4);
      return i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    };
    assertClose(
      out[valueOf(p, 'sin')],
      x.map((m) => m.map((r, t) => r.map((v, j) => v + pe(t, j)))),
      1e-6,
      'sinusoidal',
    );
    assert.equal(weights.params.has('sin/table'), false);
    weights.dispose();
  });

  it('lm-head: untied with bias, and tied to the embedding table (transposed)', () => {
    const p = harness(
      4,
      [
        { id: 'untied', kind: 'lm-head', params: { width: 4, vocab: 7, bias: true } },
        { id: 'tied', kind: 'lm-head', params: { width: 4, vocab: 7, tiedTo: 'embed' } },
      ],
      [
        ['embed.out', 'untied.x'],
        ['embed.out', 'tied.x'],
      ],
    );
    assert.equal(p.params.has('tied/weight'), false);
    const { out, weights } = run(
      p,
      ['embed', 'untied', 'tied'].map((id) => valueOf(p, id)),
    );
    const x = out[valueOf(p, 'embed')] as T3;
    const untied = x.map((m) =>
      addRow(mm(m, mat(w(weights, 'untied/weight'))), vec(w(weights, 'untied/bias'))),
    );
    assertClose(out[valueOf(p, 'untied')], untied, 1e-5, 'untied');
    const table = mat(w(weights, 'embed/table'));
    assertClose(
      out[valueOf(p, 'tied')],
      x.map((m) => mm(m, transpose(table))),
      1e-5,
      'tied',
    );
    weights.dispose();
  });

  it('classifier-head per position, or pooled (first, mean) per sequence', () => {
    const nodes = (['none', 'first', 'mean'] as const).map((pool) => ({
      id: `c_${pool}`,
      kind: 'classifier-head',
      params: { width: 4, classes: 3, pool, bias: pool === 'mean' },
    }));
    const p = harness(
      4,
      nodes,
      nodes.map((n) => ['embed.out', `${n.id}.x`] as [string, string]),
    );
    const { out, weights } = run(
      p,
      ['embed', ...nodes.map((n) => n.id)].map((id) => valueOf(p, id)),
    );
    const x = out[valueOf(p, 'embed')] as T3;
    const W = (id: string) => mat(w(weights, `${id}/weight`));
    assertClose(
      out[valueOf(p, 'c_none')],
      x.map((m) => mm(m, W('c_none'))),
      1e-5,
      'none',
    );
    assertClose(
      out[valueOf(p, 'c_first')],
      mm(
        x.map((m) => m[0] as number[]),
        W('c_first'),
      ),
      1e-5,
      'first',
    );
    const means = x.map((m) => transpose(m).map((c) => c.reduce((s, v) => s + v, 0) / m.length));
    assertClose(
      out[valueOf(p, 'c_mean')],
      addRow(mm(means, W('c_mean')), vec(w(weights, 'c_mean/bias'))),
      1e-5,
      'mean',
    );
    weights.dispose();
  });

  it('halting-head: one logit per example from position 0, bias −5 at init', () => {
    const p = harness(
      4,
      [{ id: 'halt', kind: 'halting-head', params: { width: 4 } }],
      [['embed.out', 'halt.x']],
    );
    const { out, weights } = run(p, [valueOf(p, 'embed'), 'halt'], false);
    assert.deepEqual(w(weights, 'halt/bias'), [-5]);
    const x = out[valueOf(p, 'embed')] as T3;
    const expected = mm(
      x.map((m) => m[0] as number[]),
      mat(w(weights, 'halt/weight')),
    ).map((r) => r[0]! - 5);
    assertClose(out.halt, expected, 1e-5, 'halt');
    weights.dispose();
  });

  it('puzzle-prefix: position 0 is the row of the table at the example puzzle id, the rest zeros; ids out of range are named', () => {
    const p = harness(
      4,
      [{ id: 'pre', kind: 'puzzle-prefix', params: { width: 4, positions: 3, puzzles: 5 } }],
      [['embed.out', 'pre.x']],
      { length: 3, fixedLength: true },
    );
    const ids = tokens(IDS);
    const puzzle = tf.tensor1d([3, 1], 'int32');
    const { out, weights } = runSpec(p, { tokens: ids, puzzle_id: puzzle }, [
      valueOf(p, 'embed'),
      valueOf(p, 'pre'),
    ]);
    const table = mat(w(weights, 'pre/puzzle'));
    const x = out[valueOf(p, 'embed')] as T3;
    const zero = [0, 0, 0, 0];
    assertClose(
      out[valueOf(p, 'pre')],
      [3, 1].map((id, b) => [table[id], zero, zero, ...x[b]!]),
      0,
      'prefix',
    );
    // The gradient reaches the rows that were read, each once per reading example.
    const twice = tf.tensor1d([2, 2], 'int32');
    const grads = tf.tidy(() => {
      const v = weights.params.get('pre/puzzle')!;
      const { grads } = tf.variableGrads(
        () =>
          tf.sum(
            runProgram(p, weights, { tokens: ids, puzzle_id: twice }, [valueOf(p, 'pre')])[
              valueOf(p, 'pre')
            ]!,
          ) as tf.Scalar,
        [v],
      );
      return grads[v.name]!.arraySync() as M;
    });
    assertClose(grads, [zero, zero, [2, 2, 2, 2], zero, zero], 0, 'table gradient');
    const wrong = tf.tensor1d([0, 5], 'int32');
    assert.throws(
      () => runProgram(p, weights, { tokens: ids, puzzle_id: wrong }, [valueOf(p, 'pre')]),
      /Puzzle id 5 \(example 2\) is outside the per-puzzle table of node "main\/pre", which has 5 rows \(ids 0–4\): .*puzzles to at least 6/,
    );
    assert.throws(
      () => runProgram(p, weights, { tokens: ids }, [valueOf(p, 'pre')]),
      /Missing feed "puzzle_id": pass int32 puzzle ids of shape \[B\]/,
    );
    tf.dispose([ids, puzzle, twice, wrong]);
    weights.dispose();
  });
});
