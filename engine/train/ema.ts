import * as tf from '@tensorflow/tfjs-core';

/**
 * Exponential moving average of the weights: e ← r·e + (1 − r)·p after every optimizer step.
 * TRM evaluates and exports the averaged weights (rate 0.999 in the paper). With warm-up, the
 * k-th update (k = 0, 1, …) uses r = min(rate, (1 + k) / (10 + k)): without it a 0.999 average
 * still holds 0.999^1000 ≈ 37% of the initial weights after 1,000 steps.
 */
export function emaRate(rate: number, k: number, warmup: boolean): number {
  return warmup ? Math.min(rate, (1 + k) / (10 + k)) : rate;
}

export class Ema {
  readonly shadow = new Map<string, tf.Variable>();

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    readonly rate: number,
    readonly warmup = true,
  ) {
    for (const [name, p] of params) {
      this.shadow.set(
        name,
        tf.tidy(() => tf.variable(tf.clone(p), false)),
      );
    }
  }

  /** Fold the live weights in after optimizer step `k` (0-based; it sets the warm-up rate). */
  update(k: number): void {
    const r = emaRate(this.rate, k, this.warmup);
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const e = this.shadow.get(name)!;
        e.assign(tf.add(tf.mul(e, r), tf.mul(p, 1 - r)));
      }
    });
  }

  /** The averaged tensors by parameter name (owned here). */
  state(): Record<string, tf.Tensor> {
    return Object.fromEntries(this.shadow);
  }

  load(state: Readonly<Record<string, tf.Tensor>>): void {
    for (const [name, e] of this.shadow) {
      const saved = state[name];
      if (!saved) throw new Error(`The checkpoint has no EMA weights for "${name}".`);
      e.assign(saved);
    }
  }

  /** Run `fn` with the live parameters temporarily replaced by the averaged ones. */
  async withAveraged<T>(fn: () => Promise<T> | T): Promise<T> {
    const saved = new Map<string, tf.Tensor>();
    for (const [name, p] of this.params) {
      saved.set(name, tf.clone(p));
      p.assign(this.shadow.get(name)!);
    }
    try {
      return await fn();
    } finally {
      for (const [name, p] of this.params) p.assign(saved.get(name)!);
      for (const t of saved.values()) t.dispose();
    }
  }

  dispose(): void {
    for (const e of this.shadow.values()) e.dispose();
    this.shadow.clear();
  }
}
