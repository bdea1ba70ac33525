import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamW, fusedAvailable } from '../runtime/native/index.ts';

export interface AdamWOptions {
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  /** 'adam-atan2': the step is atan2(m̂, √v̂) instead of m̂ / (√v̂ + ε). @default 'adamw' */
  optimizer?: 'adamw' | 'adam-atan2';
  /** Learning-rate multiplier per parameter (1 when absent): its step and its decay scale by it. */
  lrScales?: ReadonlyMap<string, number>;
}

/**
 * AdamW (Loshchilov & Hutter), as PyTorch computes it — tfjs has none:
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
 *   p ← p·(1 − lr·λ) − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
 * Weight decay is decoupled from the gradient and skipped for parameters not in `decayed`.
 * With `optimizer: 'adam-atan2'` (the TRM code's AdamATan2) the step is lr · atan2(m̂, √v̂):
 * the same as Adam's while |m̂| ≪ √v̂, bounded by lr·π/2, and with no ε to tune.
 */
export class AdamW {
  /** Optimizer steps taken so far (t in the bias corrections). */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    private readonly decayed: ReadonlySet<string>,
    private readonly options: AdamWOptions,
  ) {
    // tf.variable shares the initial tensor's data; that tensor itself must still be freed.
    const zeroVariable = (p: tf.Tensor) => tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    for (const [name, p] of params) {
      this.m.set(name, zeroVariable(p));
      this.v.set(name, zeroVariable(p));
    }
  }

  /** Apply one update with learning rate `lr`; parameters without a gradient are left alone. */
  apply(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    this.step += 1;
    const [b1, b2] = this.options.betas;
    const bc1 = 1 - Math.pow(b1, this.step);
    const bc2 = 1 - Math.pow(b2, this.step);
    const { eps, weightDecay } = this.options;
    const names = [...this.params.keys()].filter((name) => grads[name]);
    const scaleOf = (name: string) => this.options.lrScales?.get(name) ?? 1;
    const atan2 = this.options.optimizer === 'adam-atan2';
    tf.tidy(() => {
      if (fusedAvailable() && !atan2) {
        // The same arithmetic in one native call (src/train.cc) per learning rate in use.
        for (const scale of new Set(names.map(scaleOf))) {
          const group = names.filter((n) => scaleOf(n) === scale);
          const rate = lr * scale;
          const out = fusedAdamW(
            group.map((n) => this.params.get(n)!),
            group.map((n) => grads[n]!),
            group.map((n) => this.m.get(n)!),
            group.map((n) => this.v.get(n)!),
            group.map((n) => (this.decayed.has(n) ? 1 - rate * weightDecay : 1)),
            { lr: rate, beta1: b1, beta2: b2, eps, bc1, bc2 },
          );
          group.forEach((n, i) => {
            this.params.get(n)!.assign(out.params[i]!);
            this.m.get(n)!.assign(out.m[i]!);
            this.v.get(n)!.assign(out.v[i]!);
          });
        }
        return;
      }
      for (const name of names) {
        const p = this.params.get(name)!;
        const g = grads[name]!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const rate = lr * scaleOf(name);
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(m1);
        v.assign(v1);
        const mHat = tf.div(m1, bc1);
        const vRoot = tf.sqrt(tf.div(v1, bc2));
        const update = tf.mul(
          atan2 ? tf.atan2(mHat, vRoot) : tf.div(mHat, tf.add(vRoot, eps)),
          rate,
        );
        const decay = this.decayed.has(name) ? 1 - rate * weightDecay : 1;
        p.assign(tf.sub(decay === 1 ? p : tf.mul(p, decay), update));
      }
    });
  }

  /** Moments by name (`m/<param>`, `v/<param>`), for checkpoints. The tensors stay owned here. */
  state(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, t] of this.m) out[`m/${name}`] = t;
    for (const [name, t] of this.v) out[`v/${name}`] = t;
    return out;
  }

  /** Restore moments and the step counter from a checkpoint. */
  load(state: Readonly<Record<string, tf.Tensor>>, step: number): void {
    for (const [kind, map] of [
      ['m', this.m],
      ['v', this.v],
    ] as const) {
      for (const [name, t] of map) {
        const saved = state[`${kind}/${name}`];
        if (!saved)
          throw new Error(
            `The checkpoint has no optimizer state for "${name}": it was frozen in that run (or the checkpoint is damaged). Resume with the run's own freeze setting.`,
          );
        t.assign(saved);
      }
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
