import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { createDataSource } from '../data/index.ts';
import type { Batch } from '../data/types.ts';
import { Rng } from '../data/rng.ts';
import { selectBackend } from '../runtime/backend.ts';
import { createWeights } from '../runtime/weights.ts';
import { disposeForward, forward } from './model.ts';
import {
  batchFeeds,
  documentFrom,
  initialState,
  prepareProgram,
  type TrainableProgram,
} from '../runtime/trainable-program.ts';
import {
  ExampleStream,
  firstPosition,
  nextPosition,
  positionFromBatch,
  minimumSteps,
  slotsToRefill,
  SupervisionSlots,
  type RefillRule,
  type SlotPosition,
} from './slots.ts';

const replace: RefillRule = { mode: 'replace', supervisionSteps: 3, haltEarly: true };
const batch: RefillRule = { ...replace, mode: 'batch' };

test('which slots refill: N_sup reached, or (haltEarly) their own halting logit > 0', () => {
  const counts = [1, 3, 2, 3];
  const q = [-1, -1, 0.5, -2];
  assert.deepEqual(slotsToRefill(counts, q, replace), [false, true, true, true]);
  assert.deepEqual(slotsToRefill(counts, q, { ...replace, haltEarly: false }), [
    false,
    true,
    false,
    true,
  ]);
  // No halting head: only the count decides.
  assert.deepEqual(slotsToRefill(counts, undefined, replace), [false, true, false, true]);
  // q = 0 is not a halt (the paper's rule is q > 0).
  assert.deepEqual(slotsToRefill([1, 1], [0, 1e-6], replace), [false, true]);
});

test('halting exploration: a share p of examples draws a minimum from 2..N_sup and cannot halt before it', () => {
  const rule: RefillRule = { ...replace, supervisionSteps: 16, explore: 0.1, seed: 3 };
  const mins = Array.from({ length: 20_000 }, (_, e) => minimumSteps(e, rule));
  const drawn = mins.filter((m) => m > 1);
  // 10% ± 5σ (σ = √(0.1·0.9/20000) ≈ 0.21%).
  assert.ok(Math.abs(drawn.length / mins.length - 0.1) < 0.011, `${drawn.length} drew a minimum`);
  assert.equal(Math.min(...drawn), 2);
  assert.equal(Math.max(...drawn), 16);
  // Uniform over 15 values: each about 1/15 of the draws.
  for (let v = 2; v <= 16; v++) {
    const share = drawn.filter((m) => m === v).length / drawn.length;
    assert.ok(Math.abs(share - 1 / 15) < 0.03, `${v}: ${share}`);
  }
  // Deterministic in (seed, example); another seed draws others.
  assert.deepEqual(
    mins.slice(0, 50),
    Array.from({ length: 50 }, (_, e) => minimumSteps(e, rule)),
  );
  assert.notDeepEqual(
    mins.slice(0, 200),
    Array.from({ length: 200 }, (_, e) => minimumSteps(e, { ...rule, seed: 4 })),
  );
  assert.equal(minimumSteps(5, { ...rule, explore: 0 }), 1);
  // An example with a minimum of m halts at count m, not before; the others halt at once.
  const e = mins.findIndex((m) => m >= 4);
  const m = mins[e]!;
  const free = mins.findIndex((x) => x === 1);
  const halting = [1, 1];
  assert.deepEqual(slotsToRefill([m - 1, 1], halting, rule, [e, free]), [false, true]);
  assert.deepEqual(slotsToRefill([m, 1], halting, rule, [e, free]), [true, true]);
  // Without the examples (or with exploration off) the minimum does not apply.
  assert.deepEqual(slotsToRefill([m - 1, 1], halting, rule), [true, true]);
});

test("'batch' refills every slot or none: all at N_sup, or all halted", () => {
  assert.deepEqual(slotsToRefill([2, 2, 2], [1, -1, 1], batch), [false, false, false]);
  assert.deepEqual(slotsToRefill([2, 2, 2], [1, 2, 3], batch), [true, true, true]);
  assert.deepEqual(slotsToRefill([2, 2, 2], [1, 2, 3], { ...batch, haltEarly: false }), [
    false,
    false,
    false,
  ]);
  assert.deepEqual(slotsToRefill([3, 3, 3], [-1, -1, -1], batch), [true, true, true]);
});

test('refilled slots take the next examples in slot order and restart their count', () => {
  const p: SlotPosition = { examples: [0, 1, 2, 3], counts: [0, 2, 1, 0], next: 4 };
  assert.deepEqual(nextPosition(p, [false, true, false, true]), {
    examples: [0, 4, 2, 5],
    counts: [1, 0, 2, 0],
    next: 6,
  });
  assert.deepEqual(positionFromBatch(2, 1, 3), {
    examples: [6, 7, 8],
    counts: [1, 1, 1],
    next: 9,
  });
});

/**
 * Run the bookkeeping for `steps` with seeded random halting logits, each > 0 with chance
 * `halts`; what each example got.
 */
function simulate(rule: RefillRule, b: number, steps: number, seed: number, halts = 0.2) {
  const rng = Rng.of(seed);
  let p = firstPosition(b);
  const stepsOf = new Map<number, number>();
  const loaded: number[] = [...p.examples];
  const finished: number[] = [];
  for (let s = 0; s < steps; s++) {
    for (const e of p.examples) stepsOf.set(e, (stepsOf.get(e) ?? 0) + 1);
    const q = p.examples.map(() => rng.float() - (1 - halts));
    const refill = slotsToRefill(
      p.counts.map((c) => c + 1),
      q,
      rule,
    );
    p.examples.forEach((e, i) => refill[i] && finished.push(e));
    p = nextPosition(p, refill);
    p.examples.forEach((e, i) => refill[i] && loaded.push(e));
  }
  return { p, stepsOf, loaded, finished };
}

test('the stream is read in order, deterministically, no example skipped or repeated', () => {
  // 'batch' halts early only when all 8 halt: make that likely enough to happen.
  for (const [rule, halts] of [
    [replace, 0.2],
    [batch, 0.9],
  ] as const) {
    const a = simulate(rule, 8, 200, 7, halts);
    assert.deepEqual(a, simulate(rule, 8, 200, 7, halts), 'same seed, same run');
    // Examples are loaded exactly once each, in stream order 0, 1, 2, ...
    assert.deepEqual(
      a.loaded,
      a.loaded.map((_, i) => i),
    );
    assert.equal(a.p.next, a.loaded.length);
    // No example has more than N_sup steps; halting ended some early.
    for (const n of a.stepsOf.values()) assert.ok(n >= 1 && n <= rule.supervisionSteps);
    assert.ok(a.finished.some((e) => a.stepsOf.get(e)! < rule.supervisionSteps));
  }
});

test('with haltEarly off every example gets exactly N_sup steps', () => {
  for (const rule of [replace, batch]) {
    const { stepsOf, finished, p } = simulate({ ...rule, haltEarly: false }, 5, 99, 3);
    assert.equal(finished.length, 5 * 33);
    for (const e of finished) assert.equal(stepsOf.get(e), 3, `example ${e}`);
    // The slots still in progress have had their counts' worth.
    p.examples.forEach((e, i) => assert.equal(stepsOf.get(e) ?? 0, p.counts[i]));
  }
});

/** A fake source whose token (k, i, 0) is 100·k + i: batch index and row are readable. */
const fakeSource = {
  length: 2,
  trainBatch: (index: number, b: number): Batch => {
    const inputs = new Int32Array(b * 2);
    for (let i = 0; i < b; i++) inputs.set([100 * index + i, index], i * 2);
    return { inputs, targets: inputs.map((x) => x + 1), batch: b, length: 2 };
  },
};

test('example j of the stream is row j % B of training batch ⌊j / B⌋', () => {
  const stream = new ExampleStream(fakeSource, 4);
  const got = stream.gather([9, 2, 4, 13]);
  assert.deepEqual([...got.inputs], [201, 2, 2, 0, 100, 1, 301, 3]);
  assert.deepEqual([...got.targets], [202, 3, 3, 1, 101, 2, 302, 4]);
  assert.equal(got.batch, 4);
  // An aligned run is the source's own batch.
  assert.deepEqual(stream.gather([8, 9, 10, 11]), fakeSource.trainBatch(2, 4));
});

type Doc = { dims: Record<string, number> };

async function tinyTrm(): Promise<{
  tp: TrainableProgram;
  source: Awaited<ReturnType<typeof createDataSource>>;
}> {
  await selectBackend('cpu');
  const doc = JSON.parse(readFileSync('templates/trm-sudoku.json', 'utf8')) as Doc;
  doc.dims = { ...doc.dims, D: 16, H: 2, n: 1, T_rec: 2, N_sup: 3 };
  const source = await createDataSource(
    { type: 'sudoku', size: 4, pool: 50, validationSize: 16 },
    0,
  );
  return { tp: prepareProgram(documentFrom(doc), source), source };
}

const evalOpts = { training: false, seed: 0, loss: 'ce' as const, haltWeight: 0 };

/** Rows of a [B, ...] tensor as nested arrays. */
const rows = (t: tf.Tensor, idx: number[]) => {
  const all = t.arraySync() as unknown[];
  return idx.map((i) => all[i]);
};

test('refilled slots start from the initial state: their next forward equals a fresh one', async () => {
  const { tp, source } = await tinyTrm();
  const weights = createWeights(tp.program, 1);
  const slots = SupervisionSlots.open(tp, weights, source, firstPosition(4));
  // Two steps, so the kept slots carry a state that is not the initial one.
  for (let s = 0; s < 2; s++) {
    const r = await forward(tp, weights, slots.feeds, slots.state, slots.batch, evalOpts);
    const next = r.next;
    r.next = [];
    const carried = next.map((t) => tf.clone(t));
    const q = s === 0 ? [-1, -1, -1, -1] : [-1, 1, -1, 1];
    const report = slots.advance(next, q, replace);
    tf.dispose(r.loss);
    disposeForward(r);
    if (s === 0) {
      assert.deepEqual(report, { meanStep: 0, halted: 0, refilled: 0 });
      tf.dispose(carried);
      continue;
    }
    assert.deepEqual(report, { meanStep: 1, halted: 0.5, refilled: 0.5 });
    assert.deepEqual(slots.position, { examples: [0, 4, 2, 5], counts: [2, 0, 2, 0], next: 6 });
    // Kept slots hold their carried state; refilled ones the initial state of their example.
    const init = initialState(tp, weights, slots.feeds);
    slots.state.forEach((t, k) => {
      assert.deepEqual(rows(t, [0, 2]), rows(carried[k]!, [0, 2]));
      assert.deepEqual(rows(t, [1, 3]), rows(init[k]!, [1, 3]));
    });
    assert.notDeepEqual(rows(slots.state[0]!, [0]), rows(init[0]!, [0]));
    tf.dispose([...init, ...carried]);
  }
  // The tokens are the stream's examples 4 and 5 in slots 1 and 3.
  const fresh = new ExampleStream(source, 4).gather([4, 5, 6, 7]);
  const len = source.length;
  assert.deepEqual(
    [...slots.batch.inputs.subarray(len, 2 * len)],
    [...fresh.inputs.subarray(0, len)],
  );
  assert.deepEqual(
    [...slots.batch.targets.subarray(3 * len, 4 * len)],
    [...fresh.targets.subarray(len, 2 * len)],
  );
  // A forward on the slots gives, for the refilled ones, the first step of a fresh batch.
  const mixed = await forward(tp, weights, slots.feeds, slots.state, slots.batch, evalOpts);
  const freshFeeds = batchFeeds(tp, fresh);
  const freshState = initialState(tp, weights, freshFeeds);
  const first = await forward(tp, weights, freshFeeds, freshState, fresh, evalOpts);
  const a = mixed.logits.arraySync() as number[][][];
  const b = first.logits.arraySync() as number[][][];
  const close = (x: number[][], y: number[][]) =>
    x.every((r, i) => r.every((v, j) => Math.abs(v - y[i]![j]!) <= 1e-5));
  assert.ok(close(a[1]!, b[0]!) && close(a[3]!, b[1]!), 'refilled slots differ from a fresh start');
  assert.ok(!close(a[0]!, b[2]!), 'the comparison can fail');
  tf.dispose([mixed.loss, first.loss, ...Object.values(freshFeeds), ...freshState]);
  disposeForward(mixed);
  disposeForward(first);
  slots.dispose();
  weights.dispose();
});

test('slots hold a flat number of tensors over many partial refills', async () => {
  const { tp, source } = await tinyTrm();
  const weights = createWeights(tp.program, 2);
  const before = tf.memory().numTensors;
  const slots = SupervisionSlots.open(tp, weights, source, firstPosition(6));
  const rng = Rng.of(5);
  const counts = new Set<number>();
  let partial = 0;
  for (let s = 0; s < 40; s++) {
    const r = await forward(tp, weights, slots.feeds, slots.state, slots.batch, evalOpts);
    const next = r.next;
    r.next = [];
    tf.dispose(r.loss);
    disposeForward(r);
    const report = slots.advance(
      next,
      slots.position.examples.map(() => rng.float() - 0.7),
      replace,
    );
    if (report.refilled > 0 && report.refilled < 1) partial++;
    counts.add(tf.memory().numTensors);
  }
  assert.ok(partial > 10, `only ${partial} partial refills`);
  assert.deepEqual([...counts], [before + 1 + tp.state.length]);
  slots.dispose();
  assert.equal(tf.memory().numTensors, before);
  weights.dispose();
});

/** fakeSource with puzzle ids: example (k, i) has id 10·k + i + 1. */
const fakeWithIds = {
  ...fakeSource,
  trainBatch: (index: number, b: number): Batch => ({
    ...fakeSource.trainBatch(index, b),
    puzzle: Int32Array.from({ length: b }, (_, i) => 10 * index + i + 1),
  }),
};

test('a gathered example keeps its puzzle id; sources without ids gather none', () => {
  const got = new ExampleStream(fakeWithIds, 4).gather([9, 2, 4, 13]);
  assert.deepEqual([...got.puzzle!], [22, 3, 11, 32]);
  assert.equal(new ExampleStream(fakeSource, 4).gather([9, 2, 4, 13]).puzzle, undefined);
});

test('refilled slots feed the puzzle ids of their new examples; kept slots keep theirs', async () => {
  const { tp: plain, source } = await tinyTrm();
  const doc = JSON.parse(readFileSync('templates/trm-sudoku.json', 'utf8')) as Doc & {
    main: { nodes: { kind: string; params: Record<string, unknown> }[] };
  };
  doc.dims = { ...doc.dims, D: 16, H: 2, n: 1, T_rec: 2, N_sup: 3 };
  doc.main.nodes.find((n) => n.kind === 'puzzle-prefix')!.params.puzzles = 50;
  // The Sudoku stream with ids: example (k, i) of the stream has id 10·k + i + 1.
  const withIds = {
    ...source,
    puzzleIds: 50,
    trainBatch: (index: number, b: number): Batch => ({
      ...source.trainBatch(index, b),
      puzzle: Int32Array.from({ length: b }, (_, i) => 10 * index + i + 1),
    }),
  };
  const tp = prepareProgram(documentFrom(doc), withIds);
  assert.equal(plain.puzzle, undefined);
  assert.equal(tp.puzzle?.rows, 50);
  const weights = createWeights(tp.program, 1);
  const before = tf.memory().numTensors;
  const slots = SupervisionSlots.open(tp, weights, withIds, firstPosition(4));
  const fed = () => [...slots.feeds[tp.puzzle!.input.name]!.dataSync()];
  assert.deepEqual(fed(), [1, 2, 3, 4]);
  for (const q of [
    [-1, 1, -1, 1],
    [1, -1, -1, -1],
  ]) {
    const r = await forward(tp, weights, slots.feeds, slots.state, slots.batch, evalOpts);
    const next = r.next;
    r.next = [];
    tf.dispose(r.loss);
    disposeForward(r);
    slots.advance(next, q, replace);
  }
  // Slots 1 and 3 took examples 4 and 5 (batch 1, rows 0 and 1), then slot 0 example 6.
  assert.deepEqual(slots.position.examples, [6, 4, 2, 5]);
  assert.deepEqual(fed(), [13, 11, 3, 12]);
  assert.deepEqual([...slots.batch.puzzle!], [13, 11, 3, 12]);
  // Tokens, puzzle ids and the two carried states.
  assert.equal(tf.memory().numTensors, before + 2 + tp.state.length);
  slots.dispose();
  assert.equal(tf.memory().numTensors, before);
  // The table has 50 rows: data with more ids is refused with the number to set.
  assert.throws(
    () => prepareProgram(documentFrom(doc), { ...withIds, puzzleIds: 51 }),
    /has 51 puzzle ids \(0–50\) but the per-puzzle table of node "main\/prefix" has 50 rows; set its puzzles to 51\./,
  );
  weights.dispose();
});
