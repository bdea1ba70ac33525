import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompileResult, NodeReport } from '../../../engine/graph/compile.ts';
import { kindNames } from '../../../engine/graph/nodes/index.ts';
import {
  check,
  checkCompiled,
  errorCodes,
  ok,
  rawDoc,
  type GraphSpec,
  type NodeSpec,
} from './helpers.ts';
import { unrollLoops } from '../../../engine/graph/ir/unroll.ts';

// Every test builds `tok → emb → n → head` (or ends at n when n is itself a head) and reads
// the report of node `n`: output shapes with symbolic B/T, parameters and FLOPs per token,
// each compared with the closed-form formula written out next to it.
const V = 50; // vocabulary
const D = 128; // width
const L = 16; // fixed sequence length

interface Around {
  fixed?: boolean;
  /** Width the lm-head after `n` receives (default D); `null` for no head (n is one). */
  headWidth?: number | null;
  inPort?: string;
  outPort?: string;
}

function mainAround(node: NodeSpec, o: Around = {}): GraphSpec {
  const head =
    o.headWidth === null
      ? []
      : [['head', 'lm-head', { width: o.headWidth ?? D, vocab: V }] as NodeSpec];
  return {
    nodes: [
      ['tok', 'token-input', { vocab: V, maxLength: L, fixedLength: o.fixed ?? false }],
      ['emb', 'token-embedding', { vocab: V, width: D }],
      node,
      ...head,
    ],
    edges: [
      'tok.tokens -> emb.tokens',
      `emb.out -> ${node[0]}.${o.inPort ?? 'x'}`,
      ...(head.length ? [`${node[0]}.${o.outPort ?? 'out'} -> head.x`] : []),
    ],
  };
}

function compileAround(kind: string, params: Record<string, unknown>, o: Around = {}) {
  const r = ok(rawDoc(mainAround(['n', kind, params], o)));
  return { r, n: report(r, 'n') };
}

function report(r: CompileResult, id: string, graph = 'main'): NodeReport {
  const n = r.nodes.get(`${graph}/${id}`);
  assert.ok(n, `no report for ${graph}/${id}`);
  return n;
}

/** Parameters of everything around `n` in mainAround: embedding + untied head. */
const aroundParams = (headWidth = D) => V * D + headWidth * V;

describe('node kinds: shapes, parameter counts and FLOPs', () => {
  it('covers every registered kind in this file', () => {
    const covered = [
      'token-input',
      'token-embedding',
      'position-embedding',
      'puzzle-prefix',
      'attention',
      'cross-attention',
      'sequence-slice',
      'sequence-pad',
      'ffn',
      'sequence-mlp',
      'rnn',
      'gru',
      'lstm',
      'layer-norm',
      'rms-norm',
      'batch-norm',
      'residual-add',
      'linear',
      'dropout',
      'latent-init',
      'component',
      'recursion',
      'component-input',
      'component-output',
      'lm-head',
      'classifier-head',
      'halting-head',
    ];
    assert.deepEqual([...kindNames].sort(), covered.sort());
  });

  it('token-input: [B, T] token ids, or [B, L] with a fixed length', () => {
    const free = ok(rawDoc(mainAround(['n', 'dropout', {}])));
    assert.deepEqual(report(free, 'tok').outputs, {
      tokens: { shape: ['B', 'T'], dtype: 'int32' },
    });
    assert.equal(report(free, 'tok').params, 0);
    const fixed = ok(rawDoc(mainAround(['n', 'dropout', {}], { fixed: true })));
    assert.deepEqual(report(fixed, 'tok').outputs.tokens?.shape, ['B', L]);
    assert.deepEqual(fixed.program?.inputs, [
      { name: 'tok', dtype: 'int32', shape: ['B', L], role: 'tokens' },
    ]);
  });

  it('token-embedding: [B, T, D], V·D parameters, √D scaling costs D FLOPs', () => {
    const r = ok(rawDoc(mainAround(['n', 'dropout', {}])));
    const emb = report(r, 'emb');
    assert.deepEqual(emb.outputs.out?.shape, ['B', 'T', D]);
    assert.equal(emb.outputs.out?.dtype, 'float32');
    assert.equal(emb.params, V * D);
    assert.equal(emb.flopsPerToken, 0);
    const scaled = rawDoc(mainAround(['n', 'dropout', {}]));
    const main = scaled.main as { nodes: { params: Record<string, unknown> }[] };
    main.nodes[1]!.params.scale = 'sqrt-width';
    assert.equal(report(ok(scaled), 'emb').flopsPerToken, D);
  });

  it('position-embedding: learned has maxLength·D parameters, sinusoidal none', () => {
    const learned = compileAround('position-embedding', {
      type: 'learned',
      maxLength: 32,
      width: D,
    });
    assert.deepEqual(learned.n.outputs.out?.shape, ['B', 'T', D]);
    assert.equal(learned.n.params, 32 * D);
    assert.equal(learned.n.flopsPerToken, D);
    assert.equal(learned.r.totalParams, aroundParams() + 32 * D);
    const sin = compileAround('position-embedding', {
      type: 'sinusoidal',
      maxLength: 32,
      width: D,
    });
    assert.equal(sin.n.params, 0);
    assert.equal(sin.r.totalParams, aroundParams());
    assert.equal(sin.r.program?.buffers.size, 1);
    assert.deepEqual([...(sin.r.program?.buffers.values() ?? [])][0]?.shape, [32, D]);
  });

  it('position-embedding: a fixed length longer than maxLength is refused with the fix', () => {
    const { diagnostics } = check(
      rawDoc(mainAround(['n', 'position-embedding', { maxLength: 8, width: D }], { fixed: true })),
    );
    assert.deepEqual(errorCodes(diagnostics), ['invalid']);
    assert.match(
      diagnostics[0]!.message,
      /sequences of 16 exceed its 8 positions.*maxLength to at least 16/,
    );
  });

  it('puzzle-prefix: [B, P+L, D] on a fixed length; its D-wide puzzle vector is trained but not counted', () => {
    const { r, n } = compileAround('puzzle-prefix', { width: D, positions: 4 }, { fixed: true });
    assert.deepEqual(n.outputs.out?.shape, ['B', L + 4, D]);
    assert.equal(n.params, 0);
    assert.equal(r.totalParams, aroundParams());
    assert.equal(r.uncountedParams, D);
    const vector = r.program?.params.get('n/puzzle');
    assert.deepEqual(vector?.shape, [1, D]);
    assert.equal(vector?.counted, false);
    assert.deepEqual(vector?.init, { kind: 'zeros' });
    // A free length has no place for positions counted from its end.
    const { diagnostics } = check(rawDoc(mainAround(['n', 'puzzle-prefix', { width: D }])));
    assert.deepEqual(errorCodes(diagnostics), ['sequence-length']);
  });

  it('puzzle-prefix with puzzles > 1: a [puzzles, D] table, uncounted, read through an int32 puzzle_id [B] input', () => {
    const one = compileAround('puzzle-prefix', { width: D, positions: 4 }, { fixed: true }).r;
    // puzzles 1 is today's node: no puzzle input, and the same ops.
    assert.deepEqual(
      one.program?.inputs.map((i) => i.role),
      ['tokens'],
    );
    const { r, n } = compileAround(
      'puzzle-prefix',
      { width: D, positions: 4, puzzles: 9 },
      { fixed: true },
    );
    assert.deepEqual(n.outputs.out?.shape, ['B', L + 4, D]);
    assert.equal(n.params, 0);
    assert.equal(r.totalParams, aroundParams());
    assert.equal(r.uncountedParams, 9 * D);
    assert.deepEqual(r.program?.params.get('n/puzzle')?.shape, [9, D]);
    assert.deepEqual(r.program?.inputs.at(-1), {
      name: 'puzzle_id',
      dtype: 'int32',
      shape: ['B'],
      role: 'puzzle',
    });
    const gather = r.program?.ops.find((o) => o.op === 'Gather' && o.indices === 'puzzle_id');
    assert.ok(gather && gather.op === 'Gather' && gather.data === 'n/puzzle');
    // The ids are typed in the program's values, and the program verifies (int32 for 'puzzle').
    assert.deepEqual(r.program?.values.get('puzzle_id'), { dtype: 'int32', shape: ['B'] });
    checkCompiled(r, 'puzzles 9');
    // A token input that already took the name is refused with the fix.
    const clash = check(
      rawDoc({
        nodes: [
          ['puzzle_id', 'token-input', { vocab: V, maxLength: L, fixedLength: true }],
          ['emb', 'token-embedding', { vocab: V, width: D }],
          ['n', 'puzzle-prefix', { width: D, positions: 4, puzzles: 3 }],
          ['head', 'lm-head', { width: D, vocab: V }],
        ],
        edges: ['puzzle_id.tokens -> emb.tokens', 'emb.out -> n.x', 'n.out -> head.x'],
      }),
    );
    assert.deepEqual(errorCodes(clash.diagnostics), ['input-name']);
    assert.match(clash.diagnostics[0]!.message, /Rename the node called "puzzle_id"/);
  });

  it('classifier-head skip: answers for the positions after the prefix; refused where it cannot', () => {
    const doc = rawDoc({
      nodes: [
        ['tok', 'token-input', { vocab: V, maxLength: L, fixedLength: true }],
        ['emb', 'token-embedding', { vocab: V, width: D }],
        ['pre', 'puzzle-prefix', { width: D, positions: 16 }],
        ['n', 'classifier-head', { width: D, classes: 7, skip: 16 }],
      ],
      edges: ['tok.tokens -> emb.tokens', 'emb.out -> pre.x', 'pre.out -> n.x'],
    });
    assert.deepEqual(report(ok(doc), 'n').outputs.logits?.shape, ['B', L, 7]);
    const pooled = check(
      rawDoc(
        mainAround(['n', 'classifier-head', { width: D, classes: 7, skip: 2, pool: 'mean' }], {
          headWidth: null,
        }),
      ),
    );
    assert.match(pooled.diagnostics[0]!.message, /set pool to none or skip to 0/);
    const free = check(
      rawDoc(
        mainAround(['n', 'classifier-head', { width: D, classes: 7, skip: 2 }], {
          headWidth: null,
        }),
      ),
    );
    assert.match(free.diagnostics[0]!.message, /skip needs a fixed sequence length/);
  });

  it('rms-norm over the sequence: no scale, refused with one', () => {
    const { n } = compileAround(
      'rms-norm',
      { width: D, over: 'sequence', learnedScale: false },
      { fixed: true },
    );
    assert.deepEqual(n.outputs.out?.shape, ['B', L, D]);
    assert.equal(n.params, 0);
    const { diagnostics } = check(
      rawDoc(mainAround(['n', 'rms-norm', { width: D, over: 'sequence' }], { fixed: true })),
    );
    assert.match(diagnostics[0]!.message, /Turn learnedScale off or normalise over the width/);
  });

  describe('attention', () => {
    const cases: [string, Record<string, unknown>, number][] = [
      // [name, params, closed-form parameter count]
      ['MHA, no bias', { heads: 4 }, 4 * D * D],
      ['MHA with bias', { heads: 4, bias: true }, 4 * D * D + 4 * D],
      // GQA: q = H·Dh = 128, k and v = kvH·Dh = 2·32 = 64 each.
      ['GQA kvHeads 2', { heads: 4, kvHeads: 2 }, D * 128 + 2 * D * 64 + 128 * D],
      [
        'GQA with bias',
        { heads: 4, kvHeads: 2, bias: true },
        D * 128 + 2 * D * 64 + 128 * D + 128 + 2 * 64 + D,
      ],
      // headDim override: q = k = v = 4·64 = 256 wide.
      ['headDim 64', { heads: 4, headDim: 64 }, 3 * D * 256 + 256 * D],
      ['MQA kvHeads 1, RoPE', { heads: 8, kvHeads: 1, rope: true }, D * D + 2 * D * 16 + D * D],
    ];
    for (const [name, params, expected] of cases) {
      it(`${name}: ${expected} parameters, shape kept`, () => {
        const { n, r } = compileAround('attention', { width: D, ...params });
        assert.deepEqual(n.outputs.out?.shape, ['B', 'T', D]);
        assert.equal(n.params, expected);
        assert.equal(r.totalParams, aroundParams() + expected);
      });
    }

    it('FLOPs per token: projections plus scores over the (fixed) context', () => {
      // 2·D·(2q + 2kv) for q, k, v, o; 2·2·q·T for scores and the weighted sum.
      const free = compileAround('attention', { width: D, heads: 4 });
      assert.equal(free.n.flopsPerToken, 2 * D * (4 * D) + 4 * D * 1); // T symbolic: counted as 1
      const fixed = compileAround(
        'attention',
        { width: D, heads: 4, causal: false },
        { fixed: true },
      );
      assert.deepEqual(fixed.n.outputs.out?.shape, ['B', L, D]);
      assert.equal(fixed.n.flopsPerToken, 2 * D * (4 * D) + 4 * D * L);
    });

    it('refuses heads that do not divide the width, kvHeads that do not divide heads, odd RoPE heads', () => {
      const bad: [Record<string, unknown>, RegExp][] = [
        [
          { heads: 3 },
          /width \(128\) must be divisible by heads \(3\)\. Change one of them, or set headDim\./,
        ],
        [{ heads: 4, kvHeads: 3 }, /heads \(4\) must be divisible by kvHeads \(3\)/],
        [{ heads: 4, headDim: 5, rope: true }, /head width \(5\) with RoPE must be divisible by 2/],
      ];
      for (const [params, pattern] of bad) {
        const { diagnostics } = check(
          rawDoc(mainAround(['n', 'attention', { width: D, ...params }])),
        );
        assert.deepEqual(errorCodes(diagnostics), ['not-divisible'], JSON.stringify(params));
        assert.match(diagnostics[0]!.message, pattern);
        assert.equal(diagnostics[0]!.node, 'n');
      }
    });
  });

  describe('encoder–decoder: cross-attention, sequence-slice, sequence-pad', () => {
    const S = 6; // source positions of the fixed length L: the decoder reads the other L − S
    /** tok → emb; enc = slice [0, S); dec = slice [S, L); n: dec attends to enc; pad back to L. */
    function encDec(
      params: Record<string, unknown>,
      o: { source?: boolean; memWidth?: number } = {},
    ) {
      const mem = o.memWidth ?? D;
      return rawDoc({
        nodes: [
          ['tok', 'token-input', { vocab: V, maxLength: L, fixedLength: true }],
          ['emb', 'token-embedding', { vocab: V, width: D }],
          ['enc', 'sequence-slice', { start: 0, length: S }],
          ['src', 'sequence-slice', { start: 0, length: S }],
          ['dec', 'sequence-slice', { start: S, length: L - S }],
          ['up', 'linear', { inFeatures: D, outFeatures: mem }],
          ['n', 'cross-attention', { width: D, ...params }],
          ['pad', 'sequence-pad', { before: S }],
          ['head', 'lm-head', { width: D, vocab: V }],
        ],
        edges: [
          'tok.tokens -> emb.tokens',
          'emb.out -> enc.x',
          'tok.tokens -> src.x',
          'emb.out -> dec.x',
          'enc.out -> up.x',
          'dec.out -> n.x',
          'up.out -> n.memory',
          ...(o.source === false ? [] : ['src.out -> n.source']),
          'n.out -> pad.x',
          'pad.out -> head.x',
        ],
      });
    }

    it('shapes: slices of ids and activations, [B, L−S, D] queries over an [B, S, Dm] memory, padded back to L', () => {
      const r = ok(encDec({ heads: 4, memoryWidth: 64 }, { memWidth: 64 }));
      assert.deepEqual(report(r, 'src').outputs.out, { shape: ['B', S], dtype: 'int32' });
      assert.deepEqual(report(r, 'enc').outputs.out?.shape, ['B', S, D]);
      assert.deepEqual(report(r, 'dec').outputs.out?.shape, ['B', L - S, D]);
      assert.deepEqual(report(r, 'n').outputs.out?.shape, ['B', L - S, D]);
      assert.deepEqual(report(r, 'pad').outputs.out?.shape, ['B', L, D]);
      assert.deepEqual(r.program?.outputs[0]?.shape, ['B', L, V]);
      for (const id of ['enc', 'src', 'dec', 'pad']) assert.equal(report(r, id).params, 0);
    });

    it('cross-attention parameters: q and o from the query width, k and v from the memory width', () => {
      const plain = report(ok(encDec({ heads: 4 })), 'n');
      assert.equal(plain.params, 4 * D * D);
      const wide = report(ok(encDec({ heads: 4, memoryWidth: 64 }, { memWidth: 64 })), 'n');
      assert.equal(wide.params, 2 * D * D + 2 * 64 * D);
      const biased = report(ok(encDec({ heads: 4, bias: true })), 'n');
      assert.equal(biased.params, 4 * D * D + 4 * D);
      // Per query token: q, o (2·D·D each) and k, v (2·Dm·D each), plus scores and the sum over S.
      assert.equal(plain.flopsPerToken, 2 * (2 * D * D + 2 * D * D) + 4 * D * S);
    });

    it('lowers the padding mask only when the source ids are wired', () => {
      const attention = (r: ReturnType<typeof ok>) =>
        r.program?.ops.find((o) => o.op === 'Attention') as { keyIds?: string; padId?: number };
      const masked = attention(ok(encDec({ heads: 4, padId: 3 })));
      assert.equal(typeof masked.keyIds, 'string');
      assert.equal(masked.padId, 3);
      assert.equal(attention(ok(encDec({ heads: 4 }, { source: false }))).keyIds, undefined);
    });

    it('refuses a memory of the wrong width, source ids of the wrong length, a slice past the end', () => {
      const wrongMemory = check(encDec({ heads: 4 }, { memWidth: 64 })).diagnostics;
      assert.deepEqual(errorCodes(wrongMemory), ['width-mismatch']);
      assert.match(wrongMemory[0]!.message, /Input "memory" of node "n" expects width 128/);
      const doc = encDec({ heads: 4 }) as { main: { nodes: { id: string; params: object }[] } };
      const src = doc.main.nodes.find((n) => n.id === 'src')!;
      src.params = { start: 0, length: S - 1 };
      const wrongSource = check(doc).diagnostics;
      assert.deepEqual(errorCodes(wrongSource), ['rank-mismatch']);
      assert.match(
        wrongSource[0]!.message,
        /Input "source" of node "n" expects token ids \[B, 6\]/,
      );
      src.params = { start: 2, length: L };
      const past = check(doc).diagnostics;
      assert.ok(errorCodes(past).includes('slice-out-of-range'));
      assert.match(
        past.find((d) => d.code === 'slice-out-of-range')!.message,
        /Node "src" keeps positions 2\.\.17 but its input has 16 positions/,
      );
    });

    it("attention masks an encoder's padding from source ids, bidirectional only", () => {
      /** tok → emb → n (self-attention), the ids (or a slice of them) wired to n.source. */
      const selfDoc = (params: Record<string, unknown>, ids = L) =>
        rawDoc({
          nodes: [
            ['tok', 'token-input', { vocab: V, maxLength: L, fixedLength: true }],
            ['emb', 'token-embedding', { vocab: V, width: D }],
            ['src', 'sequence-slice', { start: 0, length: ids }],
            ['n', 'attention', { width: D, heads: 4, causal: false, ...params }],
            ['head', 'lm-head', { width: D, vocab: V }],
          ],
          edges: [
            'tok.tokens -> emb.tokens',
            'tok.tokens -> src.x',
            'emb.out -> n.x',
            'src.out -> n.source',
            'n.out -> head.x',
          ],
        });
      const att = ok(selfDoc({ padId: 2 })).program?.ops.find((o) => o.op === 'Attention') as {
        keyIds?: string;
        padId?: number;
        causal: boolean;
      };
      assert.equal(typeof att.keyIds, 'string');
      assert.equal(att.padId, 2);
      assert.equal(att.causal, false);
      const causal = check(selfDoc({ causal: true })).diagnostics;
      assert.deepEqual(errorCodes(causal), ['invalid']);
      assert.equal(causal[0]!.port, 'source');
      assert.match(causal[0]!.message, /Node "n": the padding mask .* is for bidirectional/);
      const short = check(selfDoc({}, L - 1)).diagnostics;
      assert.deepEqual(errorCodes(short), ['rank-mismatch']);
      assert.match(short[0]!.message, /Input "source" of node "n" expects token ids \[B, 16\]/);
    });

    it('sequence-pad refuses a sequence without a fixed length', () => {
      const { diagnostics } = check(rawDoc(mainAround(['n', 'sequence-pad', { before: 2 }])));
      assert.deepEqual(errorCodes(diagnostics), ['sequence-length']);
      assert.match(
        diagnostics[0]!.message,
        /pads a sequence to a fixed length but receives length T/,
      );
    });
  });

  describe('ffn', () => {
    const cases: [string, Record<string, unknown>, number, number][] = [
      // [name, params, hidden, closed-form parameter count]
      ['ReLU ×4', { activation: 'relu' }, 512, 2 * D * 512],
      [
        'GELU ×2 with bias',
        { activation: 'gelu', ratio: 2, bias: true },
        256,
        2 * D * 256 + 256 + D,
      ],
      // SwiGLU: ⅔·4·128 = 341.33 → 341, rounded up to a multiple of 256 → 512.
      ['SwiGLU ×4, multipleOf 256', { activation: 'swiglu', multipleOf: 256 }, 512, 3 * D * 512],
      ['SwiGLU ×4, multipleOf 1', { activation: 'swiglu' }, 341, 3 * D * 341],
      [
        'SwiGLU hidden 300 with bias',
        { activation: 'swiglu', hidden: 300, bias: true },
        300,
        3 * D * 300 + 2 * 300 + D,
      ],
      ['ReLU ratio 1.5', { activation: 'relu', ratio: 1.5 }, 192, 2 * D * 192],
      // ratio·D rounds to 0: still one hidden unit, never a zero-width layer.
      ['ReLU ratio 0.001', { activation: 'relu', ratio: 0.001 }, 1, 2 * D * 1],
      [
        'ReLU ratio 0.001, multipleOf 8',
        { activation: 'relu', ratio: 0.001, multipleOf: 8 },
        8,
        2 * D * 8,
      ],
    ];
    for (const [name, params, hidden, expected] of cases) {
      it(`${name}: hidden ${hidden}, ${expected} parameters`, () => {
        const { n } = compileAround('ffn', { width: D, ...params });
        assert.deepEqual(n.outputs.out?.shape, ['B', 'T', D]);
        assert.equal(n.params, expected);
        const matrices = params.activation === 'swiglu' ? 3 : 2;
        assert.equal(n.flopsPerToken, 2 * D * hidden * matrices);
      });
    }
  });

  describe('rnn, gru, lstm', () => {
    const gates = { rnn: 1, gru: 3, lstm: 4 } as const;
    // [kind, params, PyTorch's count: sum(p.numel() for p in nn.X(...).parameters())]
    const cases: [keyof typeof gates, Record<string, unknown>, number][] = [
      ['lstm', { hidden: 64, layers: 2, bidirectional: true }, 198656], // nn.LSTM(128, 64, 2, bidirectional=True)
      ['gru', { hidden: 64 }, 37248], // nn.GRU(128, 64)
      ['rnn', { hidden: 64, layers: 3 }, 29056], // nn.RNN(128, 64, 3)
      ['lstm', { hidden: 32 }, 20736], // nn.LSTM(128, 32)
      ['gru', { hidden: 16, layers: 2, bidirectional: true }, 18816], // nn.GRU(128, 16, 2, bidirectional=True)
    ];
    for (const [kind, params, pytorch] of cases) {
      it(`${kind} ${JSON.stringify(params)}: PyTorch's parameter count, shapes and FLOPs`, () => {
        const H = params.hidden as number;
        const layers = (params.layers as number | undefined) ?? 1;
        const dirs = params.bidirectional ? 2 : 1;
        const G = gates[kind];
        // Per layer and direction G·H·(in + H) + 2·G·H, in = D for the first layer, dirs·H after.
        let closed = 0;
        for (let l = 0; l < layers; l++)
          closed += dirs * (G * H * ((l ? dirs * H : D) + H) + 2 * G * H);
        assert.equal(closed, pytorch);
        const { n, r } = compileAround(kind, { width: D, ...params }, { headWidth: dirs * H });
        assert.equal(n.params, closed);
        assert.equal(r.totalParams, aroundParams(dirs * H) + closed);
        assert.deepEqual(n.outputs.out?.shape, ['B', 'T', dirs * H]);
        assert.deepEqual(n.outputs.state?.shape, ['B', layers * dirs, H]);
        assert.deepEqual(
          n.outputs.cell?.shape,
          kind === 'lstm' ? ['B', layers * dirs, H] : undefined,
        );
        let flops = 0;
        for (let l = 0; l < layers; l++) flops += dirs * 2 * G * H * ((l ? dirs * H : D) + H);
        assert.equal(n.flopsPerToken, flops);
        // One cell op per layer; weights named and shaped as PyTorch's (less weight_/bias_).
        assert.equal(r.program?.ops.filter((o) => o.op === kind.toUpperCase()).length, layers);
        const reverse = dirs === 2 ? '_reverse' : '';
        assert.deepEqual(r.program?.params.get(`n/w_ih_l0${reverse}`)?.shape, [G * H, D]);
        assert.deepEqual(r.program?.params.get(`n/w_hh_l${layers - 1}`)?.shape, [G * H, H]);
        assert.deepEqual(r.program?.params.get(`n/b_hh_l0`)?.init, {
          kind: 'uniform',
          bound: 1 / Math.sqrt(H),
        });
        checkCompiled(r, `${kind} ${JSON.stringify(params)}`);
      });
    }

    it('the final state wires on as a sequence of layers·dirs steps; a wrong width is refused', () => {
      const { n } = compileAround(
        'lstm',
        { width: D, hidden: 16, layers: 3 },
        { headWidth: 16, outPort: 'cell', fixed: true },
      );
      assert.deepEqual(n.outputs.out?.shape, ['B', L, 16]);
      assert.deepEqual(n.outputs.cell?.shape, ['B', 3, 16]);
      // hidden defaults to the input width: a node dropped with only its width is complete.
      const plain = compileAround('rnn', { width: D });
      assert.deepEqual(plain.n.outputs.out?.shape, ['B', 'T', D]);
      assert.equal(plain.n.params, D * (D + D) + 2 * D);
      const { diagnostics } = check(rawDoc(mainAround(['n', 'gru', { width: 64, hidden: 8 }])));
      assert.deepEqual(errorCodes(diagnostics), ['width-mismatch']);
      assert.equal(diagnostics[0]!.node, 'n');
    });
  });

  it('layer-norm: 2·D parameters with bias, D without; 8·D FLOPs', () => {
    const withBias = compileAround('layer-norm', { width: D });
    assert.deepEqual(withBias.n.outputs.out?.shape, ['B', 'T', D]);
    assert.equal(withBias.n.params, 2 * D);
    assert.equal(withBias.n.flopsPerToken, 8 * D);
    assert.equal(compileAround('layer-norm', { width: D, bias: false }).n.params, D);
  });

  it('rms-norm: D parameters with a learned scale, none without', () => {
    const scaled = compileAround('rms-norm', { width: D });
    assert.deepEqual(scaled.n.outputs.out?.shape, ['B', 'T', D]);
    assert.equal(scaled.n.params, D);
    assert.equal(compileAround('rms-norm', { width: D, learnedScale: false }).n.params, 0);
  });

  it('batch-norm: 2·C parameters when affine, none without; running mean and variance as running buffers', () => {
    const affine = compileAround('batch-norm', { width: D });
    assert.deepEqual(affine.n.outputs.out?.shape, ['B', 'T', D]);
    assert.equal(affine.n.params, 2 * D);
    assert.equal(affine.n.flopsPerToken, 6 * D);
    checkCompiled(affine.r, 'batch-norm');
    const buffers = [...affine.r.program!.buffers.values()].map((b) => [b.name, b.running, b.init]);
    assert.deepEqual(buffers, [
      ['n/running_mean', true, { kind: 'zeros' }],
      ['n/running_var', true, { kind: 'ones' }],
    ]);
    assert.equal(compileAround('batch-norm', { width: D, affine: false }).n.params, 0);
    const { diagnostics } = check(rawDoc(mainAround(['n', 'batch-norm', { width: 64 }])));
    assert.deepEqual(errorCodes(diagnostics), ['width-mismatch']);
  });

  it('batch-norm on a sequence warns in a causal model only', () => {
    const warnings = (attention: Record<string, unknown> | undefined) => {
      const spec = mainAround(['n', 'batch-norm', { width: D }]);
      if (attention) {
        spec.nodes.push(['att', 'attention', { width: D, heads: 4, ...attention }]);
        spec.edges = spec.edges.map((e) => (e === 'emb.out -> n.x' ? 'emb.out -> att.x' : e));
        spec.edges.push('att.out -> n.x');
      }
      const r = ok(rawDoc(spec));
      return r.diagnostics.filter((d) => d.severity === 'warning').map((d) => [d.code, d.node]);
    };
    assert.deepEqual(warnings({}), [['batch-norm-causal', 'n']]);
    assert.deepEqual(warnings({ causal: false }), []);
    assert.deepEqual(warnings(undefined), []);
  });

  it('linear: [B, T, in] → [B, T, out], in·out (+ out) parameters, 2·in·out FLOPs', () => {
    const plain = compileAround('linear', { inFeatures: D, outFeatures: 64 }, { headWidth: 64 });
    assert.deepEqual(plain.n.outputs.out?.shape, ['B', 'T', 64]);
    assert.equal(plain.n.params, D * 64);
    assert.equal(plain.n.flopsPerToken, 2 * D * 64);
    assert.equal(plain.r.totalParams, aroundParams(64) + D * 64);
    const biased = compileAround(
      'linear',
      { inFeatures: D, outFeatures: 64, bias: true },
      { headWidth: 64, fixed: true },
    );
    assert.deepEqual(biased.n.outputs.out?.shape, ['B', L, 64]);
    assert.equal(biased.n.params, D * 64 + 64);
  });

  it('dropout: shape kept, no parameters, no op when the rate is 0', () => {
    const { n, r } = compileAround('dropout', { rate: 0.2 });
    assert.deepEqual(n.outputs.out?.shape, ['B', 'T', D]);
    assert.equal(n.params, 0);
    assert.ok(r.program?.ops.some((o) => o.op === 'Dropout'));
    const off = compileAround('dropout', { rate: 0 });
    assert.ok(!off.r.program?.ops.some((o) => o.op === 'Dropout'));
  });

  it('residual-add: two or three same-shape inputs, no parameters, D FLOPs per add', () => {
    const doc = rawDoc({
      nodes: [
        ['tok', 'token-input', { vocab: V, maxLength: L }],
        ['emb', 'token-embedding', { vocab: V, width: D }],
        ['n', 'residual-add'],
        ['n3', 'residual-add'],
        ['head', 'lm-head', { width: D, vocab: V }],
      ],
      edges: [
        'tok.tokens -> emb.tokens',
        'emb.out -> n.a',
        'emb.out -> n.b',
        'n.out -> n3.a',
        'emb.out -> n3.b',
        'emb.out -> n3.c',
        'n3.out -> head.x',
      ],
    });
    const r = ok(doc);
    assert.deepEqual(report(r, 'n').outputs.out?.shape, ['B', 'T', D]);
    assert.equal(report(r, 'n').params, 0);
    assert.equal(report(r, 'n').flopsPerToken, D);
    assert.equal(report(r, 'n3').flopsPerToken, 2 * D);
  });

  it('latent-init: a fixed buffer broadcast like its input, no parameters', () => {
    const { n, r } = compileAround(
      'latent-init',
      { width: D, seed: 3 },
      { fixed: true, inPort: 'like' },
    );
    assert.deepEqual(n.outputs.out?.shape, ['B', L, D]);
    assert.equal(n.params, 0);
    const buffers = [...(r.program?.buffers.values() ?? [])];
    assert.deepEqual(
      buffers.map((b) => [b.name, b.shape]),
      [['n/init3', [D]]],
    );
  });

  it('sequence-mlp: mixes a fixed length L; SwiGLU 3·L·h, ReLU with bias 2·L·h + h + L', () => {
    const swiglu = compileAround('sequence-mlp', { length: L, hidden: 32 }, { fixed: true });
    assert.deepEqual(swiglu.n.outputs.out?.shape, ['B', L, D]);
    assert.equal(swiglu.n.params, 3 * L * 32);
    // Per token: D channels × 2·L·h·3 / L.
    assert.equal(swiglu.n.flopsPerToken, D * 2 * 32 * 3);
    const relu = compileAround(
      'sequence-mlp',
      { length: L, hidden: 32, activation: 'relu', bias: true },
      { fixed: true },
    );
    assert.equal(relu.n.params, 2 * L * 32 + 32 + L);
  });

  it('lm-head: untied D·V (+ V bias); tied adds no weight matrix', () => {
    const untied = ok(rawDoc(mainAround(['n', 'dropout', {}])));
    assert.deepEqual(report(untied, 'head').outputs.logits?.shape, ['B', 'T', V]);
    assert.equal(report(untied, 'head').params, D * V);
    assert.equal(report(untied, 'head').flopsPerToken, 2 * D * V);
    const tied = (bias: boolean) =>
      rawDoc({
        nodes: [
          ['tok', 'token-input', { vocab: V, maxLength: L }],
          ['emb', 'token-embedding', { vocab: V, width: D }],
          ['head', 'lm-head', { width: D, vocab: V, tiedTo: 'emb', bias }],
        ],
        edges: ['tok.tokens -> emb.tokens', 'emb.out -> head.x'],
      });
    const t = ok(tied(false));
    assert.equal(report(t, 'head').params, 0);
    assert.equal(t.totalParams, V * D);
    assert.deepEqual(
      t.program?.outputs.map((o) => [o.name, o.role, o.shape]),
      [['head', 'logits', ['B', 'T', V]]],
    );
    assert.equal(report(ok(tied(true)), 'head').params, V);
  });

  it('classifier-head: per position [B, T, C] or pooled [B, C]; D·C (+ C) parameters', () => {
    const C = 10;
    const per = compileAround('classifier-head', { width: D, classes: C }, { headWidth: null });
    assert.deepEqual(per.n.outputs.logits?.shape, ['B', 'T', C]);
    assert.equal(per.n.params, D * C);
    assert.equal(per.n.flopsPerToken, 2 * D * C);
    for (const pool of ['mean', 'first']) {
      const pooled = compileAround(
        'classifier-head',
        { width: D, classes: C, pool, bias: true },
        { headWidth: null, fixed: true },
      );
      assert.deepEqual(pooled.n.outputs.logits?.shape, ['B', C], pool);
      assert.equal(pooled.n.params, D * C + C);
      assert.deepEqual(
        pooled.r.program?.outputs.map((o) => o.shape),
        [['B', C]],
      );
    }
  });

  it('halting-head: one logit per example [B], D + 1 parameters', () => {
    const { n, r } = compileAround('halting-head', { width: D }, { headWidth: null });
    assert.deepEqual(n.outputs.halt?.shape, ['B']);
    assert.equal(n.params, D + 1);
    assert.equal(n.flopsPerToken, 2 * D);
    assert.deepEqual(
      r.program?.outputs.map((o) => [o.name, o.role]),
      [['n', 'halt']],
    );
  });
});

// A component `blk`: h → linear(D→D) → h, so each weight set is D·D.
const blk: GraphSpec = {
  nodes: [
    ['h', 'component-input', { name: 'h' }],
    ['lin', 'linear', { inFeatures: D, outFeatures: D }],
    ['out', 'component-output', { name: 'h' }],
  ],
  edges: ['h.out -> lin.x', 'lin.out -> out.value'],
};

function chain(instances: NodeSpec[], components: Record<string, GraphSpec>) {
  const ids = instances.map((n) => n[0]);
  return rawDoc(
    {
      nodes: [
        ['tok', 'token-input', { vocab: V, maxLength: L }],
        ['emb', 'token-embedding', { vocab: V, width: D }],
        ...instances,
        ['head', 'lm-head', { width: D, vocab: V, tiedTo: 'emb' }],
      ],
      edges: [
        'tok.tokens -> emb.tokens',
        ...['emb', ...ids]
          .slice(0, -1)
          .map((from, i) => `${from}.${from === 'emb' ? 'out' : 'h'} -> ${ids[i]}.h`),
        `${ids[ids.length - 1]}.h -> head.x`,
      ],
    },
    { components },
  );
}

describe('components and recursions: weight sharing', () => {
  it('component instances share weights by default; unshared instances own theirs', () => {
    const shared = ok(
      chain(
        [
          ['c1', 'component', { component: 'blk' }],
          ['c2', 'component', { component: 'blk' }],
        ],
        { blk },
      ),
    );
    assert.equal(shared.totalParams, V * D + D * D);
    assert.equal(report(shared, 'c1').params, D * D);
    assert.equal(report(shared, 'c2').params, 0); // declared first under c1
    assert.equal(report(shared, 'c2').flopsPerToken, 2 * D * D);
    assert.deepEqual([...(shared.program?.params.keys() ?? [])].sort(), [
      'blk/lin/weight',
      'emb/table',
    ]);
    assert.deepEqual(report(shared, 'lin', 'components.blk').outputs.out?.shape, ['B', 'T', D]);

    const unshared = ok(
      chain(
        [
          ['c1', 'component', { component: 'blk', shared: false }],
          ['c2', 'component', { component: 'blk', shared: false }],
        ],
        { blk },
      ),
    );
    assert.equal(unshared.totalParams, V * D + 2 * D * D);
    assert.deepEqual([...(unshared.program?.params.keys() ?? [])].sort(), [
      'c1/lin/weight',
      'c2/lin/weight',
      'emb/table',
    ]);
  });

  it('a shared instance inside two unshared instances is scoped to each of them', () => {
    // outer: h → shared blk → h. Two unshared outers → two blk weight sets, not one.
    const outer: GraphSpec = {
      nodes: [
        ['h', 'component-input', { name: 'h' }],
        ['inner', 'component', { component: 'blk' }],
        ['o', 'component-output', { name: 'h' }],
      ],
      edges: ['h.out -> inner.h', 'inner.h -> o.value'],
    };
    const r = ok(
      chain(
        [
          ['u1', 'component', { component: 'outer', shared: false }],
          ['u2', 'component', { component: 'outer', shared: false }],
        ],
        { blk, outer },
      ),
    );
    assert.equal(r.totalParams, V * D + 2 * D * D);
    assert.deepEqual([...(r.program?.params.keys() ?? [])].sort(), [
      'emb/table',
      'u1/blk/lin/weight',
      'u2/blk/lin/weight',
    ]);
  });

  const rec = (steps: number, weights: string) =>
    [
      'r',
      'recursion',
      { component: 'blk', steps, weights, carry: [{ output: 'h', input: 'h' }] },
    ] as NodeSpec;

  it('a shared recursion counts its weights once and its FLOPs per step', () => {
    const r = ok(chain([rec(3, 'shared')], { blk }));
    assert.equal(r.totalParams, V * D + D * D);
    assert.equal(report(r, 'r').params, D * D);
    assert.equal(report(r, 'r').flopsPerToken, 3 * 2 * D * D);
    assert.deepEqual(report(r, 'r').outputs.h?.shape, ['B', 'T', D]);
  });

  it('per-step weights multiply the count by the steps, in every mode', () => {
    for (const mode of ['check', 'full', 'step'] as const) {
      const r = ok(chain([rec(3, 'per-step')], { blk }), { mode });
      assert.equal(r.totalParams, V * D + 3 * D * D, mode);
      assert.equal(report(r, 'r').params, 3 * D * D, mode);
      assert.equal(r.program?.params.size, 4, mode);
    }
    const check = ok(chain([rec(3, 'per-step')], { blk }));
    assert.equal(report(check, 'r').flopsPerToken, 3 * 2 * D * D);
  });

  describe('nested recursions', () => {
    const inner = (weights: string): GraphSpec => ({
      nodes: [
        ['h', 'component-input', { name: 'h' }],
        [
          'ri',
          'recursion',
          { component: 'blk', steps: 2, weights, carry: [{ output: 'h', input: 'h' }] },
        ],
        ['o', 'component-output', { name: 'h' }],
      ],
      edges: ['h.out -> ri.h', 'ri.h -> o.value'],
    });
    const cases: [string, string, number][] = [
      // [outer weights, inner weights, weight sets of blk]
      ['shared', 'shared', 1],
      ['shared', 'per-step', 2],
      ['per-step', 'shared', 3],
      ['per-step', 'per-step', 6],
    ];
    for (const [outerW, innerW, sets] of cases) {
      it(`outer ${outerW} ×3 over inner ${innerW} ×2: ${sets} weight set(s), 6 steps of FLOPs`, () => {
        const doc = chain(
          [
            [
              'r',
              'recursion',
              { component: 'two', steps: 3, weights: outerW, carry: [{ output: 'h', input: 'h' }] },
            ],
          ],
          { blk, two: inner(innerW) },
        );
        for (const mode of ['check', 'full'] as const) {
          const r = ok(doc, { mode });
          assert.equal(r.totalParams, V * D + sets * D * D, `${mode}`);
          if (mode === 'check') assert.equal(report(r, 'r').flopsPerToken, 6 * 2 * D * D);
          if (mode === 'full') {
            // Unrolled, every step is its own MatMul; shared steps stay one Loop in the IR.
            const flat = unrollLoops(r.program!).ops;
            assert.equal(flat.filter((o) => o.op === 'MatMul').length, 6 + 1);
            const loops = r.program!.ops.filter((o) => o.op === 'Loop').length;
            assert.equal(loops, outerW === 'shared' ? 1 : innerW === 'shared' ? 3 : 0);
          }
        }
      });
    }
  });

  it('recursion steps do not change the shared parameter count', () => {
    const counts = [1, 2, 7].map((s) => ok(chain([rec(s, 'shared')], { blk })).totalParams);
    assert.deepEqual(counts, [V * D + D * D, V * D + D * D, V * D + D * D]);
  });
});
