import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { compile } from '../../../engine/graph/compile.ts';
import { mulberry32 } from '../../../engine/graph/init.ts';
import type { IrProgram } from '../../../engine/graph/ir.ts';
import type { LowerMode } from '../../../engine/graph/node-kind.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import { runProgram, type RunOptions } from '../../../engine/runtime/executor.ts';
import { createWeights, type WeightStore } from '../../../engine/runtime/weights.ts';

/** Test helpers: backends, plain-JS references, finite differences, tiny documents. */

tf.env().set('PROD', true);

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  assert.ok(await tf.setBackend(name), `backend ${name} failed to start`);
  await tf.ready();
}

// ---------------------------------------------------------------- plain-JS references

export type M = number[][];
export type T3 = number[][][];

export function randn(shape: number[], seed: number, std = 1): Float32Array {
  const rand = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand()) * std;
  }
  return out;
}

export function tensor(shape: number[], seed: number, std = 1): tf.Tensor {
  return tf.tensor(randn(shape, seed, std), shape);
}

export function mm(a: M, b: M): M {
  return a.map((row) =>
    (b[0] as number[]).map((_, j) => row.reduce((s, v, k) => s + v * (b[k] as number[])[j]!, 0)),
  );
}

export const transpose = (a: M): M => (a[0] as number[]).map((_, j) => a.map((r) => r[j]!));
export const addRow = (a: M, b: number[]): M => a.map((r) => r.map((v, j) => v + b[j]!));
export const mapM = (a: M, f: (v: number) => number): M => a.map((r) => r.map(f));
export const zip = (a: M, b: M, f: (x: number, y: number) => number): M =>
  a.map((r, i) => r.map((v, j) => f(v, (b[i] as number[])[j]!)));

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
export function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return s * y;
}

export const geluRef = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const geluTanhRef = (x: number) =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
export const siluRef = (x: number) => x / (1 + Math.exp(-x));
export const reluRef = (x: number) => Math.max(0, x);

export function softmaxRow(r: number[]): number[] {
  const m = Math.max(...r);
  const e = r.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function rmsRef(x: M, eps: number, scale?: number[]): M {
  return x.map((r) => {
    const ms = r.reduce((s, v) => s + v * v, 0) / r.length;
    return r.map((v, j) => (v / Math.sqrt(ms + eps)) * (scale ? scale[j]! : 1));
  });
}

export function layerNormRef(x: M, eps: number, scale?: number[], bias?: number[]): M {
  return x.map((r) => {
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    const v = r.reduce((s, u) => s + (u - mean) ** 2, 0) / r.length;
    return r.map(
      (u, j) => ((u - mean) / Math.sqrt(v + eps)) * (scale ? scale[j]! : 1) + (bias ? bias[j]! : 0),
    );
  });
}

/** Attention for one batch element: q [T, Hq·Dh], k/v [S, Hkv·Dh]. */
export function attentionRef(q: M, k: M, v: M, hq: number, hkv: number, causal: boolean): M {
  const dh = (q[0] as number[]).length / hq;
  const out: M = q.map(() => new Array<number>(hq * dh).fill(0));
  for (let h = 0; h < hq; h++) {
    const kvh = Math.floor(h / (hq / hkv));
    for (let t = 0; t < q.length; t++) {
      const scores = k.map((kr, s) => {
        if (causal && s > t) return -Infinity;
        let dot = 0;
        for (let d = 0; d < dh; d++) dot += q[t]![h * dh + d]! * kr[kvh * dh + d]!;
        return dot / Math.sqrt(dh);
      });
      const p = softmaxRow(scores);
      for (let d = 0; d < dh; d++) {
        out[t]![h * dh + d] = p.reduce((s, w, j) => s + w * v[j]![kvh * dh + d]!, 0);
      }
    }
  }
  return out;
}

/** Non-interleaved RoPE on packed heads for one batch element x [T, H·Dh]. */
export function ropeRef(x: M, heads: number, theta: number): M {
  const dh = (x[0] as number[]).length / heads;
  const half = dh / 2;
  return x.map((row, pos) => {
    const out = [...row];
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < half; i++) {
        const a = pos * Math.pow(theta, (-2 * i) / dh);
        const x1 = row[h * dh + i]!;
        const x2 = row[h * dh + i + half]!;
        out[h * dh + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
        out[h * dh + i + half] = x2 * Math.cos(a) + x1 * Math.sin(a);
      }
    }
    return out;
  });
}

// ---------------------------------------------------------------- comparisons

function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x as number];
}

export function assertClose(actual: unknown, expected: unknown, tol = 1e-4, what = ''): void {
  const a = flat(actual instanceof tf.Tensor ? actual.arraySync() : actual);
  const e = flat(expected instanceof tf.Tensor ? expected.arraySync() : expected);
  assert.equal(a.length, e.length, `${what}: ${a.length} values, expected ${e.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - e[i]!) / Math.max(1, Math.abs(e[i]!));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(
    worst <= tol,
    `${what}: worst error ${worst} at ${at} (got ${a[at]}, expected ${e[at]}), tolerance ${tol}`,
  );
}

export function arr<T>(t: tf.Tensor): T {
  return t.arraySync() as T;
}

// ---------------------------------------------------------------- finite differences

/**
 * Compares tfjs gradients of sum(f(xs) · R) (R a fixed random tensor) with centered
 * differences of the same float32 forward pass, for the inputs listed in `wrt`.
 */
export function gradCheck(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: tf.Tensor[],
  opts: { wrt?: number[]; eps?: number; tol?: number; what?: string } = {},
): void {
  const eps = opts.eps ?? 1e-2;
  const tol = opts.tol ?? 1e-2;
  const wrt = opts.wrt ?? xs.map((_, i) => i);
  const r = tf.tidy(() => {
    const y = f(...xs);
    return tensor(y.shape, 99);
  });
  const loss = (...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), r)) as tf.Scalar;
  const analytic = tf.tidy(() => {
    const g = tf.grads(loss)(xs);
    return wrt.map((i) => (g[i] as tf.Tensor).dataSync().slice());
  });
  for (const [n, i] of wrt.entries()) {
    const x = xs[i] as tf.Tensor;
    const base = x.dataSync().slice() as Float32Array;
    const num = new Float32Array(base.length);
    for (let j = 0; j < base.length; j++) {
      const at = (delta: number) =>
        tf.tidy(() => {
          const v = base.slice();
          v[j] = base[j]! + delta;
          const args = xs.map((t, k) => (k === i ? tf.tensor(v, x.shape) : t));
          return loss(...args).dataSync()[0] as number;
        });
      num[j] = (at(eps) - at(-eps)) / (2 * eps);
    }
    const got = analytic[n] as Float32Array;
    const scale = Math.max(1e-3, ...Array.from(num, Math.abs));
    for (let j = 0; j < base.length; j++) {
      const err = Math.abs(got[j]! - num[j]!) / scale;
      assert.ok(
        err <= tol,
        `${opts.what ?? 'gradient'} of input ${i}[${j}]: analytic ${got[j]}, numeric ${num[j]} (relative error ${err.toFixed(4)})`,
      );
    }
  }
  r.dispose();
}

// ---------------------------------------------------------------- tiny documents

export interface NodeSpec {
  id: string;
  kind: string;
  params?: Record<string, unknown>;
}

export type Wire = [string, string]; // ['node.port', 'node.port']

export interface GraphSpec {
  nodes: NodeSpec[];
  edges: Wire[];
}

function graph(g: GraphSpec) {
  return {
    nodes: g.nodes.map((n) => ({ id: n.id, kind: n.kind, params: n.params ?? {} })),
    edges: g.edges.map(([from, to]) => {
      const [fn, fp] = from.split('.') as [string, string];
      const [tn, tp] = to.split('.') as [string, string];
      return { from: { node: fn, port: fp }, to: { node: tn, port: tp } };
    }),
  };
}

export function compileSpec(
  main: GraphSpec,
  components: Record<string, GraphSpec> = {},
  mode: LowerMode = 'full',
  dims: Record<string, number> = {},
): IrProgram {
  const parsed = parseDocument({
    version: 1,
    name: 'test',
    dims,
    components: Object.fromEntries(Object.entries(components).map(([k, g]) => [k, graph(g)])),
    main: graph(main),
  });
  assert.ok(parsed.ok, JSON.stringify(parsed.diagnostics));
  const r = compile(parsed.doc, { mode });
  assert.ok(r.program, JSON.stringify(r.diagnostics));
  return r.program;
}

/** Random values for every param (init ones/zeros would hide a missing scale or bias). */
export function randomize(store: WeightStore, seed = 7): void {
  let s = seed;
  for (const v of store.params.values()) {
    v.assign(tensor(v.shape, s++, 0.5));
  }
}

export function tokens(ids: number[][]): tf.Tensor {
  return tf.tensor2d(ids, [ids.length, (ids[0] as number[]).length], 'int32');
}

/** Compile, create (randomized) weights, run, and return outputs as nested arrays. */
export function runSpec(
  program: IrProgram,
  feeds: Record<string, tf.Tensor>,
  fetch: string[],
  opts: RunOptions & { randomize?: boolean } = {},
): { weights: WeightStore; out: Record<string, unknown> } {
  const weights = createWeights(program, 1);
  if (opts.randomize ?? true) randomize(weights);
  const res = runProgram(program, weights, feeds, fetch, opts);
  const out = Object.fromEntries(Object.entries(res).map(([k, t]) => [k, t.arraySync()]));
  tf.dispose(res);
  return { weights, out };
}

export function w(store: WeightStore, name: string): unknown {
  const t = store.params.get(name) ?? store.buffers.get(name);
  assert.ok(t, `no weight ${name}; have ${[...store.params.keys(), ...store.buffers.keys()]}`);
  return t.arraySync();
}

/**
 * tokens [B, T] → embed [B, T, width] → the nodes under test (wired from `embed.out`), with
 * an LM head on the embedding so the program has an output. Fetch values with `valueOf`.
 */
export function harness(
  width: number,
  nodes: NodeSpec[],
  edges: Wire[],
  opts: {
    vocab?: number;
    length?: number;
    fixedLength?: boolean;
    components?: Record<string, GraphSpec>;
  } = {},
): IrProgram {
  const vocab = opts.vocab ?? 7;
  const input = { vocab, maxLength: opts.length ?? 8, fixedLength: opts.fixedLength ?? false };
  return compileSpec(
    {
      nodes: [
        { id: 'tokens', kind: 'token-input', params: input },
        { id: 'embed', kind: 'token-embedding', params: { vocab, width } },
        { id: 'out_head', kind: 'lm-head', params: { width, vocab } },
        ...nodes,
      ],
      edges: [['tokens.tokens', 'embed.tokens'], ['embed.out', 'out_head.x'], ...edges],
    },
    opts.components,
  );
}

/** The IR value a main-graph node produced last (its output). */
export function valueOf(program: IrProgram, nodeId: string): string {
  const ops = program.ops.filter(
    (o) => o.source === `main/${nodeId}` || o.source.startsWith(`main/${nodeId}/`),
  );
  const last = ops[ops.length - 1];
  assert.ok(last, `no ops from ${nodeId}`);
  return last.out;
}

export const IDS = [
  [1, 2, 3],
  [4, 0, 6],
];
