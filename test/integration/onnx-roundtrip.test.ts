import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { IrProgram } from '../../engine/graph/ir.ts';
import type { LowerMode } from '../../engine/graph/node-kind.ts';
import { emitOnnx } from '../../engine/onnx/emit.ts';
import { initialValues } from '../../engine/onnx/initial-weights.ts';
import { exportedOutputs, referenceOutputs } from '../../engine/onnx-runtime/export-model.ts';
import { createSession, runOnnx, type HostTensor } from '../../engine/onnx-runtime/verify.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { compileSpec, type GraphSpec } from '../unit/nodes-numeric/helpers.ts';
import { randomFloats } from './onnx-support.ts';

// Every node kind in a tiny graph: the tfjs executor's forward against onnxruntime running
// the export, fp32, at opsets 17 and 23, on random (not initial) weights.

const V = 11;
const D = 8;
const L = 6;

type Middle = { nodes: GraphSpec['nodes']; edges: GraphSpec['edges']; out: string };

/** tokens → embed → (middle) → head, with the middle's input wired from `embed.out`. */
function lm(middle: Middle, head: GraphSpec['nodes'][number] = lmHead()): GraphSpec {
  return {
    nodes: [
      { id: 'tokens', kind: 'token-input', params: { vocab: V, maxLength: L } },
      { id: 'embed', kind: 'token-embedding', params: { vocab: V, width: D } },
      ...middle.nodes,
      head,
    ],
    edges: [['tokens.tokens', 'embed.tokens'], ...middle.edges, [middle.out, `${head.id}.x`]],
  };
}

const lmHead = (params: Record<string, unknown> = {}) => ({
  id: 'head',
  kind: 'lm-head',
  params: { width: D, vocab: V, ...params },
});

/** One node of `kind` between the embedding and the head. */
function single(kind: string, params: Record<string, unknown>): GraphSpec {
  return lm({ nodes: [{ id: 'n', kind, params }], edges: [['embed.out', 'n.x']], out: 'n.out' });
}

const layer: GraphSpec = {
  nodes: [
    { id: 'h', kind: 'component-input', params: { name: 'h' } },
    { id: 'x', kind: 'component-input', params: { name: 'x' } },
    { id: 'sum', kind: 'residual-add', params: {} },
    { id: 'attn', kind: 'attention', params: { width: D, heads: 2, causal: false, rope: true } },
    { id: 'add', kind: 'residual-add', params: {} },
    { id: 'norm', kind: 'rms-norm', params: { width: D, learnedScale: false } },
    { id: 'out', kind: 'component-output', params: { name: 'h' } },
  ],
  edges: [
    ['h.out', 'sum.a'],
    ['x.out', 'sum.b'],
    ['sum.out', 'attn.x'],
    ['sum.out', 'add.a'],
    ['attn.out', 'add.b'],
    ['add.out', 'norm.x'],
    ['norm.out', 'out.value'],
  ],
};

/** A recursion body whose next h is a bidirectional LSTM over h + x, normalised. */
const lstmLayer: GraphSpec = {
  nodes: [
    { id: 'h', kind: 'component-input', params: { name: 'h' } },
    { id: 'x', kind: 'component-input', params: { name: 'x' } },
    { id: 'sum', kind: 'residual-add', params: {} },
    { id: 'cell', kind: 'lstm', params: { width: D, hidden: D / 2, bidirectional: true } },
    { id: 'norm', kind: 'rms-norm', params: { width: D, learnedScale: false } },
    { id: 'out', kind: 'component-output', params: { name: 'h' } },
  ],
  edges: [
    ['h.out', 'sum.a'],
    ['x.out', 'sum.b'],
    ['sum.out', 'cell.x'],
    ['cell.out', 'norm.x'],
    ['norm.out', 'out.value'],
  ],
};

function recursion(extra: Record<string, unknown>): GraphSpec {
  return {
    nodes: [
      { id: 'tokens', kind: 'token-input', params: { vocab: V, maxLength: L, fixedLength: true } },
      { id: 'embed', kind: 'token-embedding', params: { vocab: V, width: D } },
      { id: 'init', kind: 'latent-init', params: { width: D } },
      {
        id: 'rec',
        kind: 'recursion',
        params: { component: 'layer', steps: 3, carry: [{ output: 'h', input: 'h' }], ...extra },
      },
      { id: 'answer', kind: 'classifier-head', params: { width: D, classes: 4 } },
      { id: 'halt', kind: 'halting-head', params: { width: D } },
    ],
    edges: [
      ['tokens.tokens', 'embed.tokens'],
      ['embed.out', 'init.like'],
      ['init.out', 'rec.h'],
      ['embed.out', 'rec.x'],
      ['rec.h', 'answer.x'],
      ['rec.h', 'halt.x'],
    ],
  };
}

const cases: {
  name: string;
  spec: GraphSpec;
  components?: Record<string, GraphSpec>;
  modes?: LowerMode[];
}[] = [
  {
    name: 'token-input + token-embedding + lm-head',
    spec: lm({ nodes: [], edges: [], out: 'embed.out' }),
  },
  {
    name: 'token-embedding (√D scale) + tied lm-head with bias',
    spec: {
      nodes: [
        { id: 'tokens', kind: 'token-input', params: { vocab: V, maxLength: L } },
        {
          id: 'embed',
          kind: 'token-embedding',
          params: { vocab: V, width: D, scale: 'sqrt-width' },
        },
        lmHead({ tiedTo: 'embed', bias: true }),
      ],
      edges: [
        ['tokens.tokens', 'embed.tokens'],
        ['embed.out', 'head.x'],
      ],
    },
  },
  ...(['learned', 'sinusoidal'] as const).map((type) => ({
    name: `position-embedding (${type})`,
    spec: single('position-embedding', { type, maxLength: L, width: D }),
  })),
  ...[
    { causal: true },
    { causal: false, bias: true },
    { causal: true, rope: true },
    { causal: true, heads: 4, kvHeads: 2, rope: true },
    { causal: false, dropout: 0.1 },
  ].map((p) => ({
    name: `attention ${JSON.stringify(p)}`,
    spec: single('attention', { width: D, heads: 2, ...p }),
  })),
  ...[
    { activation: 'relu' },
    { activation: 'gelu', bias: true },
    { activation: 'swiglu', dropout: 0.2 },
  ].map((p) => ({
    name: `ffn ${JSON.stringify(p)}`,
    spec: single('ffn', { width: D, ratio: 2, ...p }),
  })),
  { name: 'layer-norm', spec: single('layer-norm', { width: D }) },
  { name: 'layer-norm (no bias)', spec: single('layer-norm', { width: D, bias: false }) },
  { name: 'rms-norm', spec: single('rms-norm', { width: D }) },
  { name: 'rms-norm (no scale)', spec: single('rms-norm', { width: D, learnedScale: false }) },
  { name: 'linear (bias)', spec: single('linear', { inFeatures: D, outFeatures: D, bias: true }) },
  { name: 'dropout', spec: single('dropout', { rate: 0.5 }) },
  {
    name: 'residual-add (three inputs)',
    spec: lm({
      nodes: [
        { id: 'lin', kind: 'linear', params: { inFeatures: D, outFeatures: D } },
        { id: 'add', kind: 'residual-add', params: {} },
      ],
      edges: [
        ['embed.out', 'lin.x'],
        ['embed.out', 'add.a'],
        ['lin.out', 'add.b'],
        ['lin.out', 'add.c'],
      ],
      out: 'add.out',
    }),
  },
  ...(['none', 'first', 'mean'] as const).map((pool) => ({
    name: `classifier-head (pool ${pool}) + halting-head`,
    spec: {
      nodes: [
        {
          id: 'tokens',
          kind: 'token-input',
          params: { vocab: V, maxLength: L, fixedLength: true },
        },
        { id: 'embed', kind: 'token-embedding', params: { vocab: V, width: D } },
        { id: 'cls', kind: 'classifier-head', params: { width: D, classes: 3, pool, bias: true } },
        { id: 'halt', kind: 'halting-head', params: { width: D } },
      ],
      edges: [
        ['tokens.tokens', 'embed.tokens'],
        ['embed.out', 'cls.x'],
        ['embed.out', 'halt.x'],
      ] as GraphSpec['edges'],
    },
  })),
  {
    name: 'sequence-mlp',
    spec: {
      nodes: [
        {
          id: 'tokens',
          kind: 'token-input',
          params: { vocab: V, maxLength: L, fixedLength: true },
        },
        { id: 'embed', kind: 'token-embedding', params: { vocab: V, width: D } },
        { id: 'mix', kind: 'sequence-mlp', params: { length: L, hidden: 12 } },
        lmHead(),
      ],
      edges: [
        ['tokens.tokens', 'embed.tokens'],
        ['embed.out', 'mix.x'],
        ['mix.out', 'head.x'],
      ],
    },
  },
  // Running statistics random below (init values, zeros and ones, would hide a misplaced one).
  { name: 'batch-norm (affine)', spec: single('batch-norm', { width: D, momentum: 0.3 }) },
  {
    name: 'batch-norm (no scale or bias)',
    spec: single('batch-norm', { width: D, affine: false }),
  },
  {
    // An encoder's self-attention masking its source padding (id 1 here) from the ids.
    name: 'attention (bidirectional) with a source padding mask',
    spec: {
      nodes: [
        {
          id: 'tokens',
          kind: 'token-input',
          params: { vocab: V, maxLength: L, fixedLength: true },
        },
        { id: 'embed', kind: 'token-embedding', params: { vocab: V, width: D } },
        {
          id: 'n',
          kind: 'attention',
          params: { width: D, heads: 2, causal: false, bias: true, padId: 1 },
        },
        lmHead(),
      ],
      edges: [
        ['tokens.tokens', 'embed.tokens'],
        ['embed.out', 'n.x'],
        ['tokens.tokens', 'n.source'],
        ['n.out', 'head.x'],
      ] as GraphSpec['edges'],
    },
  },
  ...[true, false].map((masked) => ({
    // Encoder part (positions 0..2) as memory, decoder part (3..L−1) as queries, padded back.
    name: `cross-attention ${masked ? 'with a source padding mask' : 'without a mask'}, sequence-slice, sequence-pad`,
    spec: {
      nodes: [
        {
          id: 'tokens',
          kind: 'token-input',
          params: { vocab: V, maxLength: L, fixedLength: true },
        },
        { id: 'embed', kind: 'token-embedding', params: { vocab: V, width: D } },
        { id: 'enc', kind: 'sequence-slice', params: { start: 0, length: 3 } },
        { id: 'src', kind: 'sequence-slice', params: { start: 0, length: 3 } },
        { id: 'dec', kind: 'sequence-slice', params: { start: 3, length: L - 3 } },
        { id: 'n', kind: 'cross-attention', params: { width: D, heads: 2, bias: true, padId: 1 } },
        { id: 'pad', kind: 'sequence-pad', params: { before: 3 } },
        lmHead(),
      ],
      edges: [
        ['tokens.tokens', 'embed.tokens'],
        ['embed.out', 'enc.x'],
        ['tokens.tokens', 'src.x'],
        ['embed.out', 'dec.x'],
        ['dec.out', 'n.x'],
        ['enc.out', 'n.memory'],
        ...(masked ? [['src.out', 'n.source']] : []),
        ['n.out', 'pad.x'],
        ['pad.out', 'head.x'],
      ] as GraphSpec['edges'],
    },
  })),
  ...(['rnn', 'gru', 'lstm'] as const).flatMap((kind) => [
    { name: `${kind} (one layer)`, spec: single(kind, { width: D, hidden: D }) },
    {
      name: `${kind} (two layers, bidirectional, dropout)`,
      spec: single(kind, { width: D, hidden: D / 2, layers: 2, bidirectional: true, dropout: 0.2 }),
    },
    {
      // The final states, [B, layers·dirs, H], read by the head as a sequence of 2.
      name: `${kind} final ${kind === 'lstm' ? 'cell' : 'hidden'} state`,
      spec: lm({
        nodes: [{ id: 'n', kind, params: { width: D, hidden: D, layers: 2 } }],
        edges: [['embed.out', 'n.x']],
        out: kind === 'lstm' ? 'n.cell' : 'n.state',
      }),
    },
  ]),
  {
    // A multi-result op inside a Loop body (the ONNX Loop's body names every result).
    name: 'recursion over a component with a bidirectional LSTM',
    spec: recursion({}),
    components: { layer: lstmLayer },
  },
  {
    name: 'component + recursion (shared) + latent-init, full and step',
    spec: recursion({ deepSupervision: true }),
    components: { layer },
    modes: ['full', 'step'],
  },
  {
    name: 'recursion (per-step weights, gradSteps)',
    spec: recursion({ weights: 'per-step', gradSteps: 1 }),
    components: { layer },
  },
];

function feedsFor(program: IrProgram): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const [i, input] of program.inputs.entries()) {
    const dims = input.shape.map((d) => (d === 'B' ? 3 : typeof d === 'number' ? d : L - 1));
    const n = dims.reduce((a, d) => a * d, 1);
    feeds[input.name] =
      input.dtype === 'int32'
        ? { data: Int32Array.from({ length: n }, (_, k) => (k * 7 + i) % V), dims }
        : { data: randomFloats(n, 100 + i), dims };
  }
  return feeds;
}

describe('node kinds: tfjs forward vs onnxruntime (fp32)', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  for (const c of cases) {
    for (const mode of c.modes ?? ['full']) {
      it(`${c.name} [${mode}] at opsets 17 and 23 within 1e-5`, async () => {
        const program = compileSpec(c.spec, c.components ?? {}, mode);
        // Running buffers (BatchNorm's statistics) random and positive, like trained ones.
        const buffers = new Map(
          [...initialValues(program).buffers].map(([name, v], i) => [
            name,
            program.buffers.get(name)?.running
              ? randomFloats(v.length, 101 + i).map((u) => 0.5 + Math.abs(u))
              : v,
          ]),
        );
        // Random weights in [-0.5, 0.5): initial ones (ones, zeros) would hide a missing op.
        const weights = new Map(
          [...program.params.values()].map((p, i) => [
            p.name,
            randomFloats(
              p.shape.reduce((a, d) => a * d, 1),
              7 + i,
            ).map((v) => v / 2),
          ]),
        );
        const feeds = feedsFor(program);
        const reference = await referenceOutputs(program, new Map([...weights, ...buffers]), feeds);
        assert.deepEqual(
          Object.keys(reference).sort(),
          exportedOutputs(program)
            .map((o) => o.name)
            .sort(),
        );
        for (const opset of [17, 23] as const) {
          const session = await createSession(
            emitOnnx(program, weights, buffers, { opset, precision: 'fp32' }),
          );
          const got = await runOnnx(session, feeds);
          await session.release();
          for (const [name, ref] of Object.entries(reference)) {
            const out = got[name];
            assert.ok(out, `opset ${opset}: no output ${name}`);
            assert.equal(out.length, ref.length, name);
            let maxErr = 0;
            for (let i = 0; i < ref.length; i++)
              maxErr = Math.max(maxErr, Math.abs((out[i] as number) - (ref[i] as number)));
            assert.ok(maxErr <= 1e-5, `opset ${opset}, ${name}: max abs error ${maxErr}`);
          }
        }
      });
    }
  }
});
