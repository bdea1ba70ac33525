import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { IrProgram } from '../../../engine/graph/ir.ts';
import { runProgram } from '../../../engine/runtime/executor.ts';
import type { WeightStore } from '../../../engine/runtime/weights.ts';
import {
  assertClose,
  gradCheck,
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

// The rnn, gru and lstm kinds, stacked and bidirectional, against a plain-JS transcription of
// PyTorch's equations (and against PyTorch itself where Debian's python3-torch is installed);
// gradients of the stacked node by finite differences.

const WIDTH = 4;
const H = 3;
const LAYERS = 2;
const KINDS = ['rnn', 'gru', 'lstm'] as const;
type Kind = (typeof KINDS)[number];

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const addRows = (a: M, b: M) => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));
const plusVec = (a: M, v: number[]) => a.map((r) => r.map((x, j) => x + v[j]!));
/** Columns [k·H, (k+1)·H) of each row: gate k. */
const gate = (a: M, k: number) => a.map((r) => r.slice(k * H, (k + 1) * H));
const map2 = (a: M, b: M, f: (x: number, y: number) => number) =>
  a.map((r, i) => r.map((x, j) => f(x, b[i]![j]!)));

/** One direction of one layer over one example's steps x [T, in]: outputs [T, H], final h, c. */
function direction(kind: Kind, x: M, ws: M[], biases: number[][], reverse: boolean) {
  const [wih, whh] = ws as [M, M];
  const [bih, bhh] = biases as [number[], number[]];
  let h: M = [new Array<number>(H).fill(0)];
  let c: M = [new Array<number>(H).fill(0)];
  const ys: number[][] = new Array<number[]>(x.length);
  for (let k = 0; k < x.length; k++) {
    const t = reverse ? x.length - 1 - k : k;
    const gi = plusVec(mm([x[t]!], transpose(wih)), bih);
    const gh = plusVec(mm(h, transpose(whh)), bhh);
    if (kind === 'rnn') h = addRows(gi, gh).map((r) => r.map(Math.tanh));
    else if (kind === 'lstm') {
      const g = addRows(gi, gh);
      const [i, f, gg, o] = [0, 1, 2, 3].map((n) => gate(g, n)) as [M, M, M, M];
      c = map2(
        map2(f, c, (a, b) => sigmoid(a) * b),
        map2(i, gg, (a, b) => sigmoid(a) * Math.tanh(b)),
        (a, b) => a + b,
      );
      h = map2(o, c, (a, b) => sigmoid(a) * Math.tanh(b));
    } else {
      const r = map2(gate(gi, 0), gate(gh, 0), (a, b) => sigmoid(a + b));
      const z = map2(gate(gi, 1), gate(gh, 1), (a, b) => sigmoid(a + b));
      const n = map2(
        gate(gi, 2),
        map2(r, gate(gh, 2), (a, b) => a * b),
        (a, b) => Math.tanh(a + b),
      );
      h = map2(
        map2(z, n, (zz, nn) => (1 - zz) * nn),
        map2(z, h, (zz, hh) => zz * hh),
        (a, b) => a + b,
      );
    }
    ys[t] = h[0]!;
  }
  return { y: ys, h: h[0]!, c: c[0]! };
}

/** The node for one example x [T, D]: out [T, 2H], state and cell [layers·2, H]. */
function reference(kind: Kind, x: M, get: (local: string) => unknown) {
  let seq = x;
  const state: number[][] = [];
  const cell: number[][] = [];
  for (let l = 0; l < LAYERS; l++) {
    const runs = [false, true].map((reverse) => {
      const s = reverse ? '_reverse' : '';
      const ws = [`w_ih_l${l}${s}`, `w_hh_l${l}${s}`].map((n) => get(n) as M);
      const bs = [`b_ih_l${l}${s}`, `b_hh_l${l}${s}`].map((n) => get(n) as number[]);
      return direction(kind, seq, ws, bs, reverse);
    });
    seq = seq.map((_, t) => [...runs[0]!.y[t]!, ...runs[1]!.y[t]!]);
    for (const r of runs) {
      state.push(r.h);
      cell.push(r.c);
    }
  }
  return { out: seq, state, cell };
}

function program(kind: Kind): IrProgram {
  const params = { width: WIDTH, hidden: H, layers: LAYERS, bidirectional: true };
  return harness(WIDTH, [{ id: 'n', kind, params }], [['embed.out', 'n.x']]);
}

/** The values of the node's ports: the last cell's sequence, then the stacked final states. */
function ports(p: IrProgram) {
  const ops = p.ops.filter((o) => o.source === 'main/n');
  const cells = ops.filter((o) => o.op !== 'Concat');
  const concats = ops.filter((o) => o.op === 'Concat');
  return {
    out: cells[cells.length - 1]!.out,
    state: concats[0]!.out,
    cell: concats[1]?.out,
  };
}

/** Runs the node; returns its ports and the reference from the same embedding and weights. */
function runBoth(kind: Kind) {
  const p = program(kind);
  const v = ports(p);
  const fetch = [valueOf(p, 'embed'), v.out, v.state, ...(v.cell ? [v.cell] : [])];
  const feed = tokens(IDS);
  const { weights, out } = runSpec(p, { tokens: feed }, fetch);
  feed.dispose();
  const x = out[valueOf(p, 'embed')] as T3;
  const want = x.map((m) => reference(kind, m, (local) => w(weights, `n/${local}`)));
  return { p, v, weights, out, x, want };
}

function torchAvailable(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0;
}

/** PyTorch's nn.RNN/GRU/LSTM with the node's weights on the same x: [output, h_n, c_n?]. */
function torchOutputs(kind: Kind, x: T3, weights: WeightStore): number[][][][] {
  const state: Record<string, unknown> = {};
  for (const [name, t] of weights.params)
    if (name.startsWith('n/')) {
      const local = name.slice(2);
      state[local.replace(/^w_/, 'weight_').replace(/^b_/, 'bias_')] = t.arraySync();
    }
  const script = `
import json, sys, torch
a = json.load(sys.stdin)
cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[a["kind"]]
m = cls(${WIDTH}, ${H}, ${LAYERS}, batch_first=True, bidirectional=True).double()
m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in a["state"].items()})
y, s = m(torch.tensor(a["x"], dtype=torch.float64))
states = list(s) if isinstance(s, tuple) else [s]
# h_n [layers·dirs, B, H] -> [B, layers·dirs, H], the node's layout.
print(json.dumps([y.tolist()] + [t.transpose(0, 1).tolist() for t in states]))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify({ kind, x, state }),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as number[][][][];
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`rnn, gru, lstm (2 layers, bidirectional), numerically, on ${backend}`, () => {
    before(() => useBackend(backend));

    for (const kind of KINDS) {
      it(`${kind}: every step, the final states of every layer and direction`, () => {
        const { v, weights, out, want } = runBoth(kind);
        assertClose(
          out[v.out],
          want.map((e) => e.out),
          1e-5,
          `${kind} out`,
        );
        assertClose(
          out[v.state],
          want.map((e) => e.state),
          1e-5,
          `${kind} state`,
        );
        if (v.cell)
          assertClose(
            out[v.cell],
            want.map((e) => e.cell),
            1e-5,
            `${kind} cell`,
          );
        weights.dispose();
      });

      it(`${kind}: gradients through both layers and directions (BPTT) match finite differences`, () => {
        const p = program(kind);
        const v = ports(p);
        const feed = tokens(IDS);
        const { weights } = runSpec(p, { tokens: feed }, []);
        const names = ['n/w_hh_l0', 'n/w_ih_l1_reverse', 'n/b_hh_l0_reverse', 'embed/table'];
        const f = (...xs: tf.Tensor[]) => {
          const params = new Map<string, tf.Tensor>(weights.params);
          names.forEach((n, i) => params.set(n, xs[i] as tf.Tensor));
          const store = { ...weights, params } as WeightStore;
          const r = runProgram(p, store, { tokens: feed }, [v.out, v.state]);
          // Both ports: the sequence and the stacked final states.
          return tf.concat([tf.reshape(r[v.out]!, [-1]), tf.reshape(r[v.state]!, [-1])]);
        };
        const xs = names.map((n) => weights.params.get(n) as tf.Tensor);
        assert.ok(xs.every(Boolean), `weights ${names.join(', ')}`);
        gradCheck(f, xs, { eps: 1e-2, tol: 2e-2, what: kind });
        feed.dispose();
        weights.dispose();
      });
    }
  });
}

describe(
  'rnn, gru, lstm against PyTorch',
  { skip: !torchAvailable() && 'no torch in /usr/bin/python3' },
  () => {
    before(() => useBackend('cpu'));
    for (const kind of KINDS)
      it(`${kind}: nn.${kind.toUpperCase()}(batch_first, 2 layers, bidirectional) with the same weights`, () => {
        const { v, weights, out, x } = runBoth(kind);
        const [y, hn, cn] = torchOutputs(kind, x, weights);
        assertClose(out[v.out], y, 1e-5, `${kind} output`);
        assertClose(out[v.state], hn, 1e-5, `${kind} h_n`);
        if (v.cell) assertClose(out[v.cell], cn, 1e-5, `${kind} c_n`);
        weights.dispose();
      });
  },
);
