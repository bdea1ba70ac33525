import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { compile } from '../../../engine/graph/compile.ts';
import { ENCODER_STATES, splitEncoderDecoder } from '../../../engine/graph/ir/encoder-decoder.ts';
import {
  DECODER_INPUT_IDS,
  ENCODER_MASK,
  toDecoderWithPast,
} from '../../../engine/graph/ir/decoder-with-past.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { runProgram } from '../../../engine/runtime/executor.ts';
import { createWeights, type WeightStore } from '../../../engine/runtime/weights.ts';

// The decoder's KV-cache rewrite against the decoder it comes from, in tfjs: the first step
// over the decoder's tokens, and then one token at a time through the cached program, give the
// full decoder's logits at the same row positions (seq2seq-reverse, and a RoPE variant).

const S = 8;
const L = 17;
/** Two rows: sources of 5 and 8 digits, '=', then a target, <pad> to the row length. */
const ROWS = [
  [4, 5, 6, 7, 8, 0, 0, 0, 1, 11, 10, 9, 8, 7, 2, 0, 0],
  [3, 4, 5, 6, 7, 8, 9, 10, 1, 12, 11, 10, 9, 8, 7, 6, 5],
];

function template(edit: (doc: GraphDocument) => void = () => {}) {
  const raw = JSON.parse(readFileSync('templates/seq2seq-reverse.json', 'utf8'));
  const parsed = parseDocument(raw);
  assert.ok(parsed.ok);
  edit(parsed.doc);
  const program = compile(parsed.doc, { mode: 'full' }).program;
  assert.ok(program);
  return splitEncoderDecoder(program).decoder;
}

function selfAttention(doc: GraphDocument) {
  const node = doc.components!.decoder_block!.nodes.find((n) => n.id === 'self');
  assert.ok(node);
  return node.params as Record<string, unknown>;
}

const cols = (from: number, to: number) => ROWS.map((r) => r.slice(from, to));
const ints = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');

describe('decoder with past (KV-cache rewrite of an encoder–decoder decoder)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const rope of [false, true]) {
    it(`reproduces the full decoder's logits a token at a time${rope ? ' (RoPE in the self-attention)' : ''}`, () => {
      const decoder = template((doc) => {
        if (rope) selfAttention(doc).rope = true;
      });
      const d = toDecoderWithPast(decoder);
      assert.equal(d.start, S);
      assert.equal(d.padId, 0);
      const store: WeightStore = createWeights(decoder, 3);
      const memory = tf.randomNormal([ROWS.length, S, 64], 0, 1, 'float32', 5);
      const mask = ints(cols(0, S).map((r) => r.map((id) => (id === 0 ? 0 : 1))));
      const logitsName = decoder.outputs[0]!.name;
      const full = runProgram(decoder, store, { tokens: ints(ROWS), [ENCODER_STATES]: memory }, [
        logitsName,
      ])[logitsName]!.arraySync() as number[][][];
      // Row position p's logits (the decoder's p − S).
      const want = (p: number) => full.map((r) => r[p]!);

      // The first step over two decoder tokens at once, then one token per call.
      const first = 2;
      const init = d.init.outputs.map((o) => o.name);
      const r0 = runProgram(
        d.init,
        store,
        {
          [DECODER_INPUT_IDS]: ints(cols(S, S + first)),
          [ENCODER_MASK]: mask,
          [ENCODER_STATES]: memory,
        },
        init,
      );
      const initLogits = r0[logitsName]!.arraySync() as number[][][];
      for (let t = 0; t < first; t++)
        assertClose(
          initLogits.map((r) => r[t]!),
          want(S + t),
          `init, position ${S + t}`,
        );
      let caches: Record<string, tf.Tensor> = {};
      for (const e of d.cache) {
        caches[e.pastKey] = r0[e.presentKey]!;
        caches[e.pastValue] = r0[e.presentValue]!;
      }
      const stepOut = d.withPast.outputs.map((o) => o.name);
      for (let p = S + first; p < L; p++) {
        const r = runProgram(
          d.withPast,
          store,
          { [DECODER_INPUT_IDS]: ints(cols(p, p + 1)), [ENCODER_MASK]: mask, ...caches },
          stepOut,
        );
        const got = (r[logitsName]!.arraySync() as number[][][]).map((row) => row[0]!);
        assertClose(got, want(p), `with past, position ${p}`);
        const next = { ...caches };
        for (const e of d.cache.filter((c) => c.kind === 'decoder')) {
          assert.deepEqual(r[e.presentKey]!.shape, [ROWS.length, p - S + 1, e.width]);
          next[e.pastKey] = r[e.presentKey]!;
          next[e.pastValue] = r[e.presentValue]!;
        }
        caches = next;
      }
      assert.equal(
        d.withPast.inputs.some((i) => i.name === ENCODER_STATES),
        false,
        'the cached decoder reads the cross-attention caches, not the encoder states',
      );
    });
  }

  it('refuses a decoder whose self-attention sees later positions, naming the op', () => {
    const decoder = template((doc) => {
      selfAttention(doc).causal = false;
    });
    assert.throws(
      () => toDecoderWithPast(decoder),
      /The decoder cannot be exported with past: .*bidirectional self-attention/,
    );
  });

  it('refuses a decoder fed a shifted row (padding in place of its start token), naming the slice', () => {
    // The decoder reads row positions S+1… behind one zero position: the cache would have to
    // hold that zero position, which no token produces, so the rewrite must not drop it.
    const decoder = template((doc) => {
      const target = doc.main.nodes.find((n) => n.id === 'target')!;
      target.params = { start: S + 1, length: L - S - 1 };
      doc.main.nodes.push({
        id: 'shift',
        kind: 'sequence-pad',
        params: { before: 1 },
        position: { x: 0, y: 0 },
      });
      const into = doc.main.edges.find((e) => e.from.node === 'target')!;
      doc.main.edges.push({ from: { node: 'shift', port: 'out' }, to: { ...into.to } });
      into.to = { node: 'shift', port: 'x' };
    });
    assert.throws(
      () => toDecoderWithPast(decoder),
      /The decoder cannot be exported with past: the SlicePrefix from main\/target has no cached form: it starts 1 position\(s\) after the decoder's first token/,
    );
  });
});

function assertClose(got: number[][], want: number[][], what: string) {
  let worst = 0;
  got.forEach((r, b) => r.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - want[b]![i]!)))));
  assert.ok(worst < 1e-4, `${what}: max |Δ| ${worst}`);
}
