/**
 * The seq2seq-reverse template with its own defaults: `trm train` (no flags but the run
 * folder), then `trm eval` reaches ≥ 95% exact match on the 1,000 held-out rows — the
 * teacher-forced exact match, which is greedy decoding's (a row right at every scored position
 * decodes to exactly its target).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { loadModel } from '../../engine/infer/load.ts';
import { capture } from '../support/capture.ts';
import { SamplingConfig } from '../../engine/contract/sampling.ts';
import { seq2seqLayout } from '../../engine/data/seq2seq-tasks.ts';
import { compile } from '../../engine/graph/compile.ts';
import type { IrProgram } from '../../engine/graph/ir.ts';
import { ENCODER_STATES, splitEncoderDecoder } from '../../engine/graph/ir/encoder-decoder.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import { decodeTarget, encodeSource, translate } from '../../engine/infer/seq2seq.ts';
import { emitOnnx } from '../../engine/onnx/emit.ts';
import { initialValues } from '../../engine/onnx/initial-weights.ts';
import {
  readCheckpointDocument,
  readCheckpointWeights,
} from '../../engine/onnx-runtime/checkpoint.ts';
import { onnxPairNextLogits } from '../../engine/onnx-runtime/encoder-decoder-session.ts';
import { createSession } from '../../engine/onnx-runtime/verify.ts';

const TEMPLATE = 'templates/seq2seq-reverse.json';

describe('seq2seq-reverse: trained with its template defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-seq2seq-'));
  let seconds = 0;

  before(async () => {
    const t = capture();
    const started = performance.now();
    assert.equal(await main(['train', TEMPLATE, '--out', dir], t.out), 0, t.errors.join('\n'));
    seconds = (performance.now() - started) / 1000;
  });

  /** The run's held-out rows (its recorded data and seed) as (source digits, reversed digits). */
  async function heldOut(count: number): Promise<[string, string][]> {
    const model = await loadModel(dir);
    const source = await model.dataSource();
    await model.dispose();
    assert.ok(source, 'the run records its data');
    const batch = source.validation(count);
    return Array.from({ length: batch.batch }, (_, r) => {
      const row = batch.inputs.subarray(r * batch.length, (r + 1) * batch.length);
      const text = source.decode(row.subarray(0, 8)).replace(/<pad>/g, '');
      return [text, [...text].reverse().join('')];
    });
  }

  for (const beams of [1, 3]) {
    it(`trm generate ${beams === 1 ? 'greedy' : `--beams ${beams}`} reverses held-out sources`, async () => {
      const rows = await heldOut(12);
      for (const [src, want] of rows) {
        const g = capture();
        const args = [
          'generate',
          dir,
          '--prompt',
          src,
          ...(beams > 1 ? ['--beams', String(beams)] : []),
        ];
        assert.equal(await main(args, g.out), 0, g.errors.join('\n'));
        assert.equal(g.lines.at(-1), want, `source ${src}`);
      }
    });
  }

  it('the encoder and decoder ONNX files (opsets 17 and 23) reproduce trm generate greedy on held-out sources', async () => {
    const parsed = parseDocument(await readCheckpointDocument(dir));
    assert.ok(parsed.ok);
    const { program } = compile(parsed.doc, { mode: 'full' });
    assert.ok(program);
    const { values } = await readCheckpointWeights(dir);
    const { buffers } = initialValues(program);
    const pair = splitEncoderDecoder(program);
    assert.deepEqual(
      pair.decoder.inputs.map((i) => i.name),
      ['tokens', ENCODER_STATES],
    );
    // The encoder holds its 2 self-attentions; the decoder its 2 causal ones and 2 cross.
    const attentions = (p: IrProgram) => p.ops.filter((op) => op.op === 'Attention').length;
    assert.equal(attentions(pair.encoder), 2);
    assert.equal(attentions(pair.decoder), 4);
    assert.deepEqual(pair.encoder.outputs[0]?.shape, ['B', 8, 64]);
    const layout = seq2seqLayout(8);
    const rows = await heldOut(12);
    for (const opset of [17, 23] as const) {
      const emit = (p: IrProgram) => emitOnnx(p, values, buffers, { opset, precision: 'fp32' });
      const encoder = await createSession(emit(pair.encoder));
      const decoder = await createSession(emit(pair.decoder));
      const next = onnxPairNextLogits(encoder, decoder, pair, layout.length);
      for (const [src, want] of rows) {
        const g = capture();
        assert.equal(await main(['generate', dir, '--prompt', src], g.out), 0);
        const greedy = SamplingConfig.parse({});
        const got = decodeTarget(await translate(next, layout, encodeSource(src, layout), greedy));
        assert.equal(got, g.lines.at(-1), `opset ${opset}, source ${src}`);
        assert.equal(got, want);
      }
      await encoder.release();
      await decoder.release();
    }
  });

  it('trm generate refuses a source that is not digits or too long, in a sentence', async () => {
    for (const [prompt, message] of [
      ['12a4', /only digits 0–9; remove "a"/],
      ['123456789', /9 digits but the model reads at most 8; shorten it/],
    ] as const) {
      const g = capture();
      assert.equal(await main(['generate', dir, '--prompt', prompt], g.out), 1);
      assert.match(g.errors.join('\n'), message);
    }
  });

  it('reaches ≥ 95% held-out exact match (trm eval)', async () => {
    const doc = JSON.parse(readFileSync(TEMPLATE, 'utf8')) as {
      meta: { training: { evalExamples: number } };
    };
    const e = capture();
    assert.equal(await main(['eval', dir, '--json'], e.out), 0, e.errors.join('\n'));
    const report = JSON.parse(e.lines.join('\n')) as { exactMatch: number; examples: number };
    assert.equal(report.examples, doc.meta.training.evalExamples);
    assert.ok(
      report.exactMatch >= 0.95,
      `held-out exact match ${report.exactMatch} after ${seconds.toFixed(0)} s`,
    );
  });
});

describe('splitEncoderDecoder', () => {
  it('refuses a model without cross-attention on the source, in a sentence', () => {
    const parsed = parseDocument(readFileSync('templates/tiny-gpt.json', 'utf8'));
    assert.ok(parsed.ok);
    const { program } = compile(parsed.doc, { mode: 'full' });
    assert.ok(program);
    assert.throws(
      () => splitEncoderDecoder(program),
      /no cross-attention reading the source ids, so it has no encoder to export apart/,
    );
  });
});
