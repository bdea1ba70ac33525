import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { compileSpec, tokens, useBackend } from '../../test/unit/nodes-numeric/helpers.ts';
import { compile } from '../graph/compile.ts';
import type { IrProgram } from '../graph/ir.ts';
import type { LowerMode } from '../graph/node-kind.ts';
import { parseDocument } from '../graph/parse.ts';
import { runProgram } from './executor.ts';
import { createWeights, type WeightStore } from './weights.ts';

function template(name: string, mode: LowerMode): IrProgram {
  const r = parseDocument(readFileSync(`templates/${name}.json`, 'utf8'));
  assert.ok(r.ok);
  const program = compile(r.doc, { mode }).program;
  assert.ok(program);
  return program;
}

/** Sum of every fetched output: a loss that reaches every parameter. */
function sumLoss(out: Record<string, tf.Tensor>): tf.Scalar {
  return tf.addN(Object.values(out).map((t) => tf.sum(t))) as tf.Scalar;
}

/** Forward + gradients, tidy'd; returns whether every parameter got a finite gradient. */
function forwardAndGrad(p: IrProgram, w: WeightStore, feeds: Record<string, tf.Tensor>) {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() =>
      sumLoss(
        runProgram(
          p,
          w,
          feeds,
          p.outputs.map((o) => o.name),
        ),
      ),
    );
    const names = Object.keys(grads).sort();
    const finite = Object.values(grads).every((g) => tf.all(tf.isFinite(g)).dataSync()[0] === 1);
    return { loss: value.dataSync()[0] as number, names, finite };
  });
}

function checkTemplate(p: IrProgram, feeds: Record<string, tf.Tensor>) {
  const w = createWeights(p, 1);
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = forwardAndGrad(p, w, feeds);
    assert.ok(Number.isFinite(r.loss));
    assert.deepEqual(r.names, [...w.params.keys()].map((k) => w.params.get(k)?.name).sort());
    assert.ok(r.finite, 'every gradient is finite');
    counts.push(tf.memory().numTensors);
  }
  assert.equal(counts[1], counts[0], `numTensors ${counts.join(' → ')}`);
  assert.equal(counts[2], counts[0], `numTensors ${counts.join(' → ')}`);
  w.dispose();
}

describe('executor on wasm', () => {
  before(() => useBackend('wasm'));

  it('tiny-gpt: forward [2, T, V], finite gradients for every parameter, no leaks', () => {
    const p = template('tiny-gpt', 'full');
    const ids = tokens([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [9, 8, 7, 6, 5, 4, 3, 2],
    ]);
    const w = createWeights(p, 1);
    const out = runProgram(p, w, { tokens: ids }, ['head']);
    assert.deepEqual(out.head?.shape, [2, 8, 96]);
    tf.dispose(out);
    w.dispose();
    checkTemplate(p, { tokens: ids });
  });

  it('trm-sudoku full: forward [2, 16, V] and halting [2]; finite gradients; no leaks', () => {
    const p = template('trm-sudoku', 'full');
    const puzzle = tokens([Array.from({ length: 16 }, (_, i) => i % 6), Array(16).fill(1)]);
    const w = createWeights(p, 1);
    const out = runProgram(p, w, { puzzle }, ['answer', 'halt']);
    assert.deepEqual(out.answer?.shape, [2, 16, 6]);
    assert.deepEqual(out.halt?.shape, [2]);
    // Halting starts near "never": the bias is −5 and the weights are small.
    for (const h of out.halt?.dataSync() ?? []) assert.ok(h < -4 && h > -6, `halt logit ${h}`);
    tf.dispose(out);
    w.dispose();
    checkTemplate(p, { puzzle });
  });

  it('trm-sudoku step: init state without state feeds, state in → state out, no leaks', () => {
    const p = template('trm-sudoku', 'step');
    const sup = p.supervision;
    assert.ok(sup);
    const puzzle = tokens([Array.from({ length: 16 }, (_, i) => i % 6), Array(16).fill(2)]);
    const w = createWeights(p, 1);
    const init = runProgram(
      p,
      w,
      { puzzle },
      sup.state.map((s) => s.init),
    );
    const feeds: Record<string, tf.Tensor> = { puzzle };
    for (const s of sup.state) {
      // The state spans the puzzle-prefix position and the 16 cells; the answer only the cells.
      assert.deepEqual(init[s.init]?.shape, [2, 17, 64]);
      feeds[s.input] = init[s.init] as tf.Tensor;
    }
    const next = runProgram(p, w, feeds, [...sup.state.map((s) => s.output), 'answer', 'halt']);
    for (const s of sup.state) assert.deepEqual(next[s.output]?.shape, [2, 17, 64]);
    assert.deepEqual(next.answer?.shape, [2, 16, 6]);
    // The state moved.
    const s0 = sup.state[0];
    assert.ok(s0);
    const moved = tf.tidy(
      () => tf.max(tf.abs(tf.sub(next[s0.output]!, feeds[s0.input]!))).dataSync()[0],
    );
    assert.ok((moved ?? 0) > 1e-3);
    // The answer needs the state: without it, a clear error.
    assert.throws(
      () => runProgram(p, w, { puzzle }, ['answer']),
      /Missing feed "supervise\.y": pass float32 state of shape \[B, 17, 64\]/,
    );
    checkTemplate(p, feeds);
    tf.dispose([init, next]);
    w.dispose();
  });
});

describe('executor feeds and fetches', () => {
  before(() => useBackend('cpu'));

  const program = () =>
    compileSpec({
      nodes: [
        {
          id: 'tokens',
          kind: 'token-input',
          params: { vocab: 5, maxLength: 4, fixedLength: true },
        },
        { id: 'embed', kind: 'token-embedding', params: { vocab: 5, width: 3 } },
        { id: 'head', kind: 'lm-head', params: { width: 3, vocab: 5 } },
      ],
      edges: [
        ['tokens.tokens', 'embed.tokens'],
        ['embed.out', 'head.x'],
      ],
    });

  it('names the input and the expected shape on a missing or misshaped feed', () => {
    const p = program();
    const w = createWeights(p);
    const run =
      (feeds: Record<string, tf.Tensor>, fetch = ['head']) =>
      () =>
        runProgram(p, w, feeds, fetch);
    assert.throws(run({}), /Missing feed "tokens": pass int32 token ids of shape \[B, 4\]\./);
    assert.throws(
      run({ tokens: tf.zeros([2, 4]) }),
      /Feed "tokens" is float32 \[2, 4\], but the program expects int32 token ids of shape \[B, 4\]/,
    );
    assert.throws(run({ tokens: tokens([[1, 2, 3]]) }), /Feed "tokens" is int32 \[1, 3\]/);
    assert.throws(run({ tokens: tf.zeros([4], 'int32') }), /Feed "tokens" is int32 \[4\]/);
    assert.throws(
      run({ tokens: tokens([[1, 2, 5, 4]]) }),
      /Gather of main\/embed failed: Token id 5 in "tokens" is outside the vocabulary \[0, 5\)/,
    );
    assert.throws(
      run({ tokens: tokens([[1, 2, 3, 4]]), tokenz: tf.zeros([1]) }),
      /Unknown feed "tokenz"/,
    );
    assert.throws(
      run({ tokens: tokens([[1, 2, 3, 4]]) }, ['nope']),
      /Cannot fetch "nope": it is neither a program output \(head\)/,
    );
    w.dispose();
  });

  it('evaluates only what the fetch needs, and returns nothing the caller could dispose by mistake', () => {
    const p = program();
    const w = createWeights(p);
    // A weight needs no feed at all; it comes back as a copy.
    const t = runProgram(p, w, {}, ['embed/table'])['embed/table'];
    assert.ok(t);
    t.dispose();
    assert.ok(!w.params.get('embed/table')?.isDisposed);
    // Raw IR values can be fetched next to outputs.
    const gatherOut = p.ops.find((o) => o.op === 'Gather')?.out as string;
    const before = tf.memory().numTensors;
    const ids = tokens([[0, 1, 2, 3]]);
    const out = runProgram(p, w, { tokens: ids }, [gatherOut, 'head']);
    assert.deepEqual(out[gatherOut]?.shape, [1, 4, 3]);
    assert.deepEqual(out.head?.shape, [1, 4, 5]);
    tf.dispose([out, ids]);
    assert.equal(tf.memory().numTensors, before);
    w.dispose();
  });

  it('says how to fix a sequence longer than the position table', () => {
    const p = compileSpec({
      nodes: [
        { id: 'tokens', kind: 'token-input', params: { vocab: 5, maxLength: 2 } },
        { id: 'embed', kind: 'token-embedding', params: { vocab: 5, width: 3 } },
        { id: 'pos', kind: 'position-embedding', params: { maxLength: 2, width: 3 } },
        { id: 'head', kind: 'lm-head', params: { width: 3, vocab: 5 } },
      ],
      edges: [
        ['tokens.tokens', 'embed.tokens'],
        ['embed.out', 'pos.x'],
        ['pos.out', 'head.x'],
      ],
    });
    const w = createWeights(p);
    assert.throws(
      () => runProgram(p, w, { tokens: tokens([[1, 2, 3]]) }, ['head']),
      /SliceLike of main\/pos failed: .*feed sequences of at most 2 tokens, or raise the node's maxLength/,
    );
    w.dispose();
  });

  it('seeds dropout: same seed, same masks; another seed or op, other masks; gradients flow', () => {
    const p = compileSpec({
      nodes: [
        { id: 'tokens', kind: 'token-input', params: { vocab: 5, maxLength: 8 } },
        { id: 'embed', kind: 'token-embedding', params: { vocab: 5, width: 16 } },
        { id: 'ffn', kind: 'ffn', params: { width: 16, ratio: 2, dropout: 0.5 } },
        { id: 'drop', kind: 'dropout', params: { rate: 0.5 } },
        { id: 'head', kind: 'lm-head', params: { width: 16, vocab: 5 } },
      ],
      edges: [
        ['tokens.tokens', 'embed.tokens'],
        ['embed.out', 'ffn.x'],
        ['ffn.out', 'drop.x'],
        ['drop.out', 'head.x'],
      ],
    });
    const w = createWeights(p, 1);
    const ids = tokens([[0, 1, 2, 3, 4, 0, 1, 2]]);
    const logits = (opts: { training: boolean; seed?: number }) =>
      tf.tidy(() => Array.from(runProgram(p, w, { tokens: ids }, ['head'], opts).head!.dataSync()));
    assert.deepEqual(logits({ training: true, seed: 1 }), logits({ training: true, seed: 1 }));
    assert.notDeepEqual(logits({ training: true, seed: 1 }), logits({ training: true, seed: 2 }));
    assert.notDeepEqual(logits({ training: true, seed: 1 }), logits({ training: false }));
    assert.deepEqual(logits({ training: false, seed: 1 }), logits({ training: false, seed: 2 }));
    // The two Dropout ops draw different masks from one seed.
    const drops = p.ops.filter((o) => o.op === 'Dropout').map((o) => o.out);
    assert.equal(drops.length, 2);
    const zeros = tf.tidy(() => {
      const out = runProgram(p, w, { tokens: ids }, drops, { training: true, seed: 3 });
      return drops.map((d) => Array.from(out[d]!.dataSync(), (v) => v === 0));
    });
    assert.notDeepEqual(zeros[0]?.slice(0, 16), zeros[1]?.slice(0, 16));
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () =>
          tf.sum(
            runProgram(p, w, { tokens: ids }, ['head'], { training: true, seed: 4 }).head!,
          ) as tf.Scalar,
      );
      assert.equal(Object.keys(grads).length, w.params.size);
    });
    ids.dispose();
    w.dispose();
  });

  it('agrees on symbolic dims across inputs', () => {
    const p = template('trm-sudoku', 'step');
    const w = createWeights(p);
    const puzzle = tokens([Array(16).fill(1), Array(16).fill(2)]);
    assert.throws(
      () =>
        runProgram(
          p,
          w,
          { puzzle, 'supervise.y': tf.zeros([3, 17, 64]), 'supervise.z': tf.zeros([3, 17, 64]) },
          ['answer'],
        ),
      /Feed "supervise\.y" has B = 3, but feed "puzzle" has B = 2/,
    );
    w.dispose();
  });
});
