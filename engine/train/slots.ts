import * as tf from '@tensorflow/tfjs-core';
import { emptyBatch, type Batch, type DataSource } from '../data/types.ts';
import { Rng, Stream } from '../data/rng.ts';
import type { WeightStore } from '../runtime/weights.ts';
import {
  batchFeeds,
  initialState,
  type BatchFeeds,
  type TrainableProgram,
} from '../runtime/trainable-program.ts';

/**
 * Deep supervision over a batch of B slots. Each slot holds one example of the training
 * stream, its carried state rows and how many supervision steps it has had. After each
 * optimizer step the slots whose example is done are refilled with the next examples of the
 * stream and start again from the initial state; the others carry their next state.
 *
 * - 'replace' (the TRM paper's public code): a slot is done when it has had N_sup steps or,
 *   with haltEarly, when its own halting logit is > 0.
 * - 'batch': the whole batch is done together, after N_sup steps or, with haltEarly, when
 *   every halting logit is > 0.
 *
 * The stream is example j = row j % B of `source.trainBatch(⌊j / B⌋, B)`, so it is
 * deterministic in the seed, and both modes consume it in order without skipping or repeating.
 */
export type HaltingMode = 'replace' | 'batch';

/** Where each slot stands; what a checkpoint stores to resume inside the slots exactly. */
export interface SlotPosition {
  /** Stream index of the example in each slot. */
  examples: number[];
  /** Supervision steps each slot's example has had (0 = starts from the initial state). */
  counts: number[];
  /** Stream index of the next example to load. */
  next: number;
}

export interface RefillRule {
  mode: HaltingMode;
  supervisionSteps: number;
  haltEarly: boolean;
  /** Halting exploration: the probability that an example draws a minimum step count. */
  explore?: number;
  /** Seed of those draws (the run's seed). */
  seed?: number;
}

/**
 * The fewest supervision steps example `example` of the stream must run before it may halt:
 * with probability `rule.explore` a uniform draw from 2..N_sup, else 1 (no minimum). A pure
 * function of the seed and the example's index, so a resumed run draws the same.
 */
export function minimumSteps(example: number, rule: RefillRule): number {
  const p = rule.explore ?? 0;
  if (p <= 0 || rule.supervisionSteps < 2) return 1;
  const rng = Rng.of(rule.seed ?? 0, Stream.haltExplore, example);
  if (rng.float() >= p) return 1;
  return 2 + rng.int(rule.supervisionSteps - 1);
}

/** Slots at the start of the stream: examples 0..B−1, none started. */
export function firstPosition(b: number): SlotPosition {
  return { examples: Array.from({ length: b }, (_, i) => i), counts: Array(b).fill(0), next: b };
}

/**
 * The slots that are done after a step, given their counts after it, the halting logits of
 * that step (absent when the graph has no halting head) and the slots' examples (for halting
 * exploration's minimum step counts).
 */
export function slotsToRefill(
  counts: readonly number[],
  q: ArrayLike<number> | undefined,
  rule: RefillRule,
  examples?: readonly number[],
): boolean[] {
  const mayHalt = (i: number) =>
    examples === undefined || counts[i]! >= minimumSteps(examples[i]!, rule);
  const halts = (i: number) => rule.haltEarly && q !== undefined && q[i]! > 0 && mayHalt(i);
  const done = counts.map((c, i) => c >= rule.supervisionSteps || halts(i));
  switch (rule.mode) {
    case 'replace':
      return done;
    case 'batch': {
      const all = done.every(Boolean);
      return done.map(() => all);
    }
  }
}

/**
 * The position after a step: counts move on by one, then refilled slots take the next
 * examples of the stream in slot order and start at 0.
 */
export function nextPosition(p: SlotPosition, refill: readonly boolean[]): SlotPosition {
  let next = p.next;
  const examples = p.examples.map((e, i) => (refill[i] ? next++ : e));
  const counts = p.counts.map((c, i) => (refill[i] ? 0 : c + 1));
  return { examples, counts, next };
}

/**
 * A position from a checkpoint written before slots existed ({nextBatch, supervisionStep}):
 * the whole batch `nextBatch` at that supervision step.
 */
export function positionFromBatch(nextBatch: number, supervisionStep: number, b: number) {
  const p = firstPosition(b);
  return {
    examples: p.examples.map((i) => nextBatch * b + i),
    counts: p.counts.map(() => supervisionStep),
    next: (nextBatch + 1) * b,
  };
}

/** Reads examples of the stream by index, fetching each training batch once while it is in use. */
export class ExampleStream {
  private cache = new Map<number, Batch>();

  constructor(
    private readonly source: Pick<DataSource, 'trainBatch' | 'length'>,
    private readonly b: number,
  ) {}

  /** A batch whose row i is example `examples[i]` (an aligned run is the source's own batch). */
  gather(examples: readonly number[]): Batch {
    const b = this.b;
    const first = examples[0]!;
    if (first % b === 0 && examples.length === b && examples.every((e, i) => e === first + i)) {
      this.cache.clear();
      return this.source.trainBatch(first / b, b);
    }
    const length = this.source.length;
    const out = emptyBatch(examples.length, length);
    const used = new Set<number>();
    let puzzle: Int32Array | undefined;
    examples.forEach((e, i) => {
      const index = Math.floor(e / b);
      used.add(index);
      let src = this.cache.get(index);
      if (!src) this.cache.set(index, (src = this.source.trainBatch(index, b)));
      const row = (e % b) * length;
      out.inputs.set(src.inputs.subarray(row, row + length), i * length);
      out.targets.set(src.targets.subarray(row, row + length), i * length);
      // The example's puzzle id travels with it (a per-puzzle embedding reads it).
      if (src.puzzle) (puzzle ??= new Int32Array(examples.length))[i] = src.puzzle[e % b]!;
    });
    // Slots only move forward in the stream: batches no slot reads any more are dropped.
    for (const k of this.cache.keys()) if (!used.has(k)) this.cache.delete(k);
    return puzzle ? { ...out, puzzle } : out;
  }
}

/** What one step did to the slots, for the step metrics. */
export interface SlotStepReport {
  /** Mean over slots of which supervision step (0-based) this step was for its example. */
  meanStep: number;
  /** Share of slots whose example halted early (halting logit > 0) and was replaced. */
  halted: number;
  /** Share of slots refilled (halted, or N_sup steps done). */
  refilled: number;
}

/**
 * The batch in progress: the slots' examples (host arrays and the input tensors: token ids,
 * and puzzle ids where the graph takes them) and their carried state (plain tensors, off the
 * tape). Owns its tensors; `dispose` frees them.
 */
export class SupervisionSlots {
  private constructor(
    private readonly tp: TrainableProgram,
    private readonly weights: WeightStore,
    private readonly stream: ExampleStream,
    public position: SlotPosition,
    public batch: Batch,
    public feeds: BatchFeeds,
    public state: tf.Tensor[],
  ) {}

  /**
   * Slots at `position`. `carry` is the state of every slot (from a checkpoint; cloned), or
   * absent when no slot has started, in which case they begin at the initial state.
   */
  static open(
    tp: TrainableProgram,
    weights: WeightStore,
    source: Pick<DataSource, 'trainBatch' | 'length'>,
    position: SlotPosition,
    carry?: readonly tf.Tensor[],
  ): SupervisionSlots {
    const stream = new ExampleStream(source, position.examples.length);
    const batch = stream.gather(position.examples);
    const feeds = batchFeeds(tp, batch);
    const state = carry ? carry.map((t) => tf.clone(t)) : initialState(tp, weights, feeds);
    return new SupervisionSlots(tp, weights, stream, position, batch, feeds, state);
  }

  /** Whether any slot is inside its example's supervision (its state is not the initial one). */
  get started(): boolean {
    return this.position.counts.some((c) => c > 0);
  }

  /**
   * After an optimizer step: take ownership of the step's next state and refill the slots
   * that are done with new examples at the initial state.
   */
  advance(next: tf.Tensor[], q: ArrayLike<number> | undefined, rule: RefillRule): SlotStepReport {
    const before = this.position;
    const counts = before.counts.map((c) => c + 1);
    const refill = slotsToRefill(counts, q, rule, before.examples);
    const b = refill.length;
    const refilled = refill.filter(Boolean).length;
    const halted = refill.filter((r, i) => r && counts[i]! < rule.supervisionSteps).length;
    this.position = nextPosition(before, refill);
    tf.dispose(this.state);
    if (refilled === 0) {
      this.state = next;
    } else {
      this.batch = this.stream.gather(this.position.examples);
      tf.dispose(Object.values(this.feeds));
      this.feeds = batchFeeds(this.tp, this.batch);
      const init = initialState(this.tp, this.weights, this.feeds);
      if (refilled === b) {
        tf.dispose(next);
        this.state = init;
      } else {
        this.state = mixRows(refill, init, next);
        tf.dispose([...init, ...next]);
      }
    }
    return {
      meanStep: before.counts.reduce((a, c) => a + c, 0) / b,
      halted: halted / b,
      refilled: refilled / b,
    };
  }

  dispose(): void {
    tf.dispose([...Object.values(this.feeds), ...this.state]);
  }
}

/** Row i of each result is `fresh[k]`'s row where `take[i]`, else `kept[k]`'s. */
function mixRows(take: readonly boolean[], fresh: tf.Tensor[], kept: tf.Tensor[]): tf.Tensor[] {
  return tf.tidy(() => {
    const rows = tf.tensor1d([...take], 'bool');
    return fresh.map((f, k) => {
      // [B] -> [B, 1, ..., 1], broadcast over each example's state.
      const mask = tf.reshape(rows, [take.length, ...Array<number>(f.rank - 1).fill(1)]);
      return tf.where(mask, f, kept[k]!);
    });
  });
}
