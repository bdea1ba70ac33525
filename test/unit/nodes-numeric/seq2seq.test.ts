import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { runProgram } from '../../../engine/runtime/executor.ts';
import type { WeightStore } from '../../../engine/runtime/weights.ts';
import {
  assertClose,
  attentionRef,
  gradCheck,
  harness,
  type M,
  mm,
  runSpec,
  type T3,
  tokens,
  useBackend,
  valueOf,
  w,
} from './helpers.ts';

// The encoder–decoder kinds: cross-attention (queries from one sequence, keys and values from
// another, source padding masked) against a plain-JS reference, its gradients by finite
// differences; sequence-slice and sequence-pad against index arithmetic.

const WIDTH = 8;
/** Source ids, 0 the padding: the first row has two padded positions, the second one. */
const IDS = [
  [3, 5, 0, 0],
  [2, 0, 6, 1],
];

/**
 * tokens [B, 4] → embed; the decoder side is positions 2..3, the memory positions 0..3 of the
 * same embedding, the source ids the raw tokens: x [B, 2, D] attends to memory [B, 4, D].
 */
function program(params: Record<string, unknown>, masked: boolean) {
  return harness(
    WIDTH,
    [
      { id: 'dec', kind: 'sequence-slice', params: { start: 2, length: 2 } },
      { id: 'n', kind: 'cross-attention', params: { width: WIDTH, heads: 2, ...params } },
    ],
    [
      ['embed.out', 'dec.x'],
      ['dec.out', 'n.x'],
      ['embed.out', 'n.memory'],
      ...(masked ? ([['tokens.tokens', 'n.source']] as [string, string][]) : []),
    ],
    { length: 4, fixedLength: true },
  );
}

/**
 * Cross-attention for one example with the padded memory rows removed: masking must read
 * exactly as the unpadded source does.
 */
function crossRef(x: M, mem: M, ids: number[] | undefined, pad: number, get: (n: string) => M): M {
  const keep = mem.filter((_, s) => ids === undefined || ids[s] !== pad);
  const att = attentionRef(mm(x, get('wq')), mm(keep, get('wk')), mm(keep, get('wv')), 2, 2, false);
  return mm(att, get('wo'));
}

/** tokens [B, 4] → embed → n: bidirectional self-attention, the ids wired to n.source when masked. */
function encoderProgram(masked: boolean) {
  return harness(
    WIDTH,
    [{ id: 'n', kind: 'attention', params: { width: WIDTH, heads: 2, causal: false } }],
    [
      ['embed.out', 'n.x'],
      ...(masked ? ([['tokens.tokens', 'n.source']] as [string, string][]) : []),
    ],
    { length: 4, fixedLength: true },
  );
}

/** Rows of [T, D] at the positions whose id is not padding (0). */
const real = (y: T3) => y.map((m, b) => m.filter((_, t) => IDS[b]![t] !== 0));

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`encoder–decoder kinds, numerically, on ${backend}`, () => {
    before(() => useBackend(backend));

    for (const masked of [true, false]) {
      it(`cross-attention ${masked ? 'with' : 'without'} a source padding mask matches the reference`, () => {
        const p = program({}, masked);
        const feed = tokens(IDS);
        const fetch = [valueOf(p, 'embed'), valueOf(p, 'dec'), valueOf(p, 'n')];
        const { weights, out } = runSpec(p, { tokens: feed }, fetch);
        const [mem, x, y] = fetch.map((v) => out[v] as T3) as [T3, T3, T3];
        const get = (local: string) => w(weights, `n/${local}`) as M;
        const expected = x.map((m, b) =>
          crossRef(m, mem[b] as M, masked ? IDS[b] : undefined, 0, get),
        );
        assertClose(y, expected, 1e-4, 'cross-attention');
        feed.dispose();
        weights.dispose();
      });
    }

    it('self-attention with a source padding mask matches the reference over the unpadded keys', () => {
      const p = encoderProgram(true);
      const feed = tokens(IDS);
      const fetch = [valueOf(p, 'embed'), valueOf(p, 'n')];
      const { weights, out } = runSpec(p, { tokens: feed }, fetch);
      const [x, y] = fetch.map((v) => out[v] as T3) as [T3, T3];
      const get = (local: string) => w(weights, `n/${local}`) as M;
      const expected = x.map((m, b) => {
        const keep = m.filter((_, t) => IDS[b]![t] !== 0);
        const att = attentionRef(
          mm(m, get('wq')),
          mm(keep, get('wk')),
          mm(keep, get('wv')),
          2,
          2,
          false,
        );
        return mm(att, get('wo'));
      });
      assertClose(y, expected, 1e-4, 'masked self-attention');
      feed.dispose();
      weights.dispose();
    });

    for (const masked of [true, false]) {
      it(`changing what the padded positions hold ${masked ? 'leaves' : 'changes (no mask)'} the encoder's output at real positions`, () => {
        const p = encoderProgram(masked);
        const feed = tokens(IDS);
        const v = valueOf(p, 'n');
        const { weights, out } = runSpec(p, { tokens: feed }, [v]);
        // The <pad> token's embedding row is what every padded position reads: change it.
        const params = new Map<string, tf.Tensor>(weights.params);
        const table = weights.params.get('embed/table') as tf.Tensor;
        const rows = table.shape[0] as number;
        const shifted = tf.concat([
          tf.add(tf.slice(table, [0, 0], [1, WIDTH]), 3),
          tf.slice(table, [1, 0], [rows - 1, WIDTH]),
        ]);
        params.set('embed/table', shifted);
        const again = runProgram(p, { ...weights, params } as WeightStore, { tokens: feed }, [v])[
          v
        ]!;
        const before = real(out[v] as T3);
        const after = real(again.arraySync() as T3);
        const diff = Math.max(
          ...before.flatMap((m, b) =>
            m.flatMap((r, t) => r.map((x, d) => Math.abs(x - after[b]![t]![d]!))),
          ),
        );
        if (masked) assert.ok(diff < 1e-5, `real positions moved by ${diff}`);
        else
          assert.ok(
            diff > 1e-3,
            `without the mask real positions should read the padding (moved ${diff})`,
          );
        tf.dispose([again, shifted]);
        feed.dispose();
        weights.dispose();
      });
    }

    it('cross-attention gradients (queries, keys, values, output, embedding) match finite differences', () => {
      const p = program({ bias: true }, true);
      const feed = tokens(IDS);
      const v = valueOf(p, 'n');
      const { weights } = runSpec(p, { tokens: feed }, []);
      const names = ['n/wq', 'n/wk', 'n/bv', 'n/wo', 'embed/table'];
      const f = (...xs: tf.Tensor[]) => {
        const params = new Map<string, tf.Tensor>(weights.params);
        names.forEach((n, i) => params.set(n, xs[i] as tf.Tensor));
        const store = { ...weights, params } as WeightStore;
        return runProgram(p, store, { tokens: feed }, [v])[v]!;
      };
      const xs = names.map((n) => weights.params.get(n) as tf.Tensor);
      assert.ok(xs.every(Boolean), `weights ${names.join(', ')}`);
      gradCheck(f, xs, { eps: 1e-2, tol: 2e-2, what: 'cross-attention' });
      feed.dispose();
      weights.dispose();
    });

    it('sequence-slice keeps positions [start, start+length) of ids and activations; sequence-pad puts zeros first', () => {
      const p = harness(
        WIDTH,
        [
          { id: 'ids', kind: 'sequence-slice', params: { start: 1, length: 2 } },
          { id: 'acts', kind: 'sequence-slice', params: { start: 1, length: 3 } },
          { id: 'pad', kind: 'sequence-pad', params: { before: 2 } },
        ],
        [
          ['tokens.tokens', 'ids.x'],
          ['embed.out', 'acts.x'],
          ['acts.out', 'pad.x'],
        ],
        { length: 4, fixedLength: true },
      );
      const feed = tokens(IDS);
      const fetch = [valueOf(p, 'ids'), valueOf(p, 'embed'), valueOf(p, 'acts'), valueOf(p, 'pad')];
      const { weights, out } = runSpec(p, { tokens: feed }, fetch);
      const [ids, emb, acts, pad] = fetch.map((name) => out[name]) as [number[][], T3, T3, T3];
      assert.deepEqual(ids, [
        [5, 0],
        [0, 6],
      ]);
      assertClose(
        acts,
        emb.map((m) => m.slice(1, 4)),
        0,
        'slice',
      );
      const zeros = new Array<number>(WIDTH).fill(0);
      assertClose(
        pad,
        acts.map((m) => [zeros, zeros, ...m]),
        0,
        'pad',
      );
      feed.dispose();
      weights.dispose();
    });
  });
}
