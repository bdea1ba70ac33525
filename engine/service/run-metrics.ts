import type { RunMetrics, RunSeries } from '../contract/api.ts';
import type { TrainEvent } from '../contract/events.ts';

/**
 * A run's headline figures and bounded curves, folded from its events one at a time (live
 * runs as they train, finished ones from `metrics.jsonl`). Pure: no files.
 */

export function emptyMetrics(): RunMetrics {
  return {
    loss: null,
    accuracy: null,
    valLoss: null,
    bestValLoss: null,
    valAccuracy: null,
    bestValAccuracy: null,
    tokensPerSec: null,
  };
}

const min = (a: number | null, b: number) => (a === null || b < a ? b : a);
const max = (a: number | null, b: number) => (a === null || b > a ? b : a);

/** Update the headline figures with one event (in place: a long run has millions). */
export function foldMetrics(m: RunMetrics, e: TrainEvent): void {
  if (e.type === 'step') {
    m.loss = e.metrics.loss;
    m.accuracy = e.metrics.accuracy;
    // The trainer's figure is already smoothed over recent steps.
    m.tokensPerSec = e.metrics.tokensPerSec;
  } else if (e.type === 'eval') {
    m.valLoss = e.report.loss;
    m.valAccuracy = e.report.accuracy;
    m.bestValLoss = min(m.bestValLoss, e.report.loss);
    m.bestValAccuracy = max(m.bestValAccuracy, e.report.accuracy);
  }
}

/**
 * Aligned columns (`step` plus values) holding at most `cap` points however long the run:
 * when full, neighbouring points merge pairwise (the step of the later one, the mean of the
 * values, weighted by how many steps each stands for), so memory stays bounded while reading
 * a file of any length and the curve keeps its shape.
 */
export class Downsampler<K extends string> {
  private readonly step: number[] = [];
  private readonly weight: number[] = [];
  private readonly values: Record<K, number[]>;
  /** Points offered, after rewinds. */
  count = 0;

  constructor(
    private readonly keys: readonly K[],
    private readonly cap: number,
  ) {
    if (cap < 2) throw new Error('a downsampled series needs room for at least 2 points');
    this.values = Object.fromEntries(keys.map((k) => [k, []])) as unknown as Record<K, number[]>;
  }

  add(step: number, point: Record<K, number>): void {
    // A resumed run repeats steps after its checkpoint: the later record replaces them.
    while (this.step.length && this.step[this.step.length - 1]! >= step) this.pop();
    this.step.push(step);
    this.weight.push(1);
    for (const k of this.keys) this.values[k].push(point[k]);
    this.count += 1;
    if (this.step.length > this.cap) this.halve();
  }

  private pop(): void {
    this.count -= this.weight.pop()!;
    this.step.pop();
    for (const k of this.keys) this.values[k].pop();
  }

  private halve(): void {
    const n = this.step.length;
    let w = 0;
    for (let i = 0; i + 1 < n; i += 2, w += 1) {
      const [a, b] = [this.weight[i]!, this.weight[i + 1]!];
      this.step[w] = this.step[i + 1]!;
      this.weight[w] = a + b;
      for (const k of this.keys) {
        const v = this.values[k];
        v[w] = (v[i]! * a + v[i + 1]! * b) / (a + b);
      }
    }
    if (n % 2 === 1) {
      this.step[w] = this.step[n - 1]!;
      this.weight[w] = this.weight[n - 1]!;
      for (const k of this.keys) this.values[k][w] = this.values[k][n - 1]!;
      w += 1;
    }
    this.step.length = w;
    this.weight.length = w;
    for (const k of this.keys) this.values[k].length = w;
  }

  columns(): { step: number[] } & Record<K, number[]> {
    return { step: [...this.step], ...this.values };
  }
}

/** At most this many points per curve reach the window (uPlot draws them in a frame). */
export const MAX_POINTS = 5000;

/** Curves and headline figures of one run, fed event by event. */
export class RunFold {
  readonly metrics = emptyMetrics();
  private readonly train: Downsampler<'loss' | 'accuracy' | 'lr' | 'tokensPerSec'>;
  private readonly val: Downsampler<'loss' | 'accuracy'>;

  constructor(cap = MAX_POINTS) {
    this.train = new Downsampler(['loss', 'accuracy', 'lr', 'tokensPerSec'], cap);
    this.val = new Downsampler(['loss', 'accuracy'], cap);
  }

  add(e: TrainEvent): void {
    foldMetrics(this.metrics, e);
    if (e.type === 'step') this.train.add(e.metrics.step, e.metrics);
    else if (e.type === 'eval') this.val.add(e.report.step, e.report);
  }

  series(): RunSeries {
    return {
      train: this.train.columns(),
      validation: this.val.columns(),
      recordedSteps: this.train.count,
    };
  }
}
