import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../engine/cli/main.ts';
import { CharTokenizer } from '../../engine/data/char-tokenizer.ts';
import { compile } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { generate } from '../../engine/infer/generate.ts';
import { loadModel } from '../../engine/infer/load.ts';
import { SamplingConfig } from '../../engine/contract/sampling.ts';
import { solve } from '../../engine/infer/solve.ts';
import { tfjsNextLogits, tfjsStepModel } from '../../engine/infer/tfjs-model.ts';
import { parsePuzzle } from '../../engine/cli/commands/solve.ts';
import { exportModel } from '../../engine/onnx-runtime/export-model.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { createWeights } from '../../engine/runtime/weights.ts';

function template(name: string): GraphDocument {
  const parsed = parseDocument(readFileSync(`templates/${name}.json`, 'utf8'));
  assert.ok(parsed.ok);
  return parsed.doc;
}

function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  const written: string[] = [];
  return {
    out: {
      log: (s: string) => lines.push(s),
      error: (s: string) => errors.push(s),
      write: (s: string) => written.push(s),
    },
    lines,
    errors,
    written,
  };
}

const VOCAB = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .,')
  .describe()
  .vocab.concat(Array.from({ length: 96 - 30 }, (_, i) => String.fromCodePoint(0x100 + i)));

describe('generation and solving adapters (tfjs and onnxruntime agree)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-infer-'));
  const gpt = template('tiny-gpt');
  const sudoku = template('trm-sudoku');
  const gptFile = join(dir, 'gpt.onnx');
  const bareFile = join(dir, 'bare.onnx');
  const stepFile = join(dir, 'sudoku.onnx');
  const decodeFile = join(dir, 'gpt-decode.onnx');
  before(async () => {
    await selectBackend('cpu');
    const tokenizer = { type: 'char', unknownId: 0, vocab: VOCAB };
    await exportModel({
      doc: gpt,
      precision: 'fp32',
      out: gptFile,
      latencyRuns: 0,
      heldOut: { batch: 2, length: 8 },
      metadata: { 'trm.tokenizer': JSON.stringify(tokenizer) },
    });
    await exportModel({
      doc: gpt,
      precision: 'fp32',
      mode: 'decode',
      out: decodeFile,
      latencyRuns: 0,
      heldOut: { batch: 1, length: 4 },
      metadata: { 'trm.tokenizer': JSON.stringify(tokenizer) },
    });
    await exportModel({
      doc: gpt,
      precision: 'fp32',
      out: bareFile,
      latencyRuns: 0,
      heldOut: { batch: 1, length: 4 },
    });
    await exportModel({
      doc: sudoku,
      precision: 'fp32',
      mode: 'step',
      out: stepFile,
      latencyRuns: 0,
      heldOut: { batch: 2 },
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('greedy and beam decoding give the same tokens on tfjs and onnxruntime (tiny-gpt)', async () => {
    const program = compile(gpt, { mode: 'full' }).program!;
    const weights = createWeights(program, 0);
    const onnx = await loadModel(gptFile);
    try {
      const tfNext = tfjsNextLogits({ program, weights, tokens: 'tokens', logits: 'head' });
      const prompt = [3, 1, 4, 1, 5];
      // Logits agree to rounding at the last position of unequal-length (padded) sequences.
      const seqs = [prompt, [2, 7]];
      const [a, b] = [await tfNext(seqs), await onnx.next()(seqs)];
      for (let i = 0; i < seqs.length; i++) {
        let err = 0;
        a[i]!.forEach((x, j) => (err = Math.max(err, Math.abs(x - b[i]![j]!))));
        assert.ok(err < 1e-4, `sequence ${i}: max error ${err}`);
      }
      const unpadded = await tfNext([[2, 7]]);
      assert.deepEqual(
        Array.from(unpadded[0]!).map((x) => x.toFixed(4)),
        Array.from(a[1]!).map((x) => x.toFixed(4)),
      );
      for (const beams of [1, 3]) {
        const cfg = SamplingConfig.parse({ maxNewTokens: 12, beams });
        const opts = { contextLength: onnx.contextLength };
        const t = await generate(tfNext, prompt, cfg, opts);
        const o = await generate(onnx.next(), prompt, cfg, opts);
        assert.equal(t.length, 12);
        assert.deepEqual(o, t);
      }
    } finally {
      weights.dispose();
      await onnx.dispose();
    }
  });

  it('a step export solves step by step like the tfjs step program (trm-sudoku)', async () => {
    const program = compile(sudoku, { mode: 'step' }).program!;
    const weights = createWeights(program, 0);
    const onnx = await loadModel(stepFile);
    try {
      const puzzle = parsePuzzle('1.3..2....4.3..1');
      assert.ok(!(puzzle instanceof Error));
      const tfModel = tfjsStepModel({
        program,
        weights,
        tokens: 'puzzle',
        logits: 'answer',
        halt: 'halt',
      });
      const before = tf.memory().numTensors;
      const t = await solve(tfModel, puzzle, { earlyHalt: false });
      assert.equal(tf.memory().numTensors, before, 'the tfjs step model leaks no tensors');
      const o = await solve(onnx.stepModel(), puzzle, { earlyHalt: false });
      assert.equal(t.stepsUsed, 4);
      assert.equal(o.stepsUsed, 4);
      assert.deepEqual(o.answers, t.answers);
      o.halts.forEach((h, i) => assert.ok(Math.abs(h - t.halts[i]!) < 1e-4, `halt ${i}`));
    } finally {
      weights.dispose();
      await onnx.dispose();
    }
  });

  it('trm generate streams the continuation; clear errors for unknown characters and no tokenizer', async () => {
    const c = capture();
    const code = await main(['generate', gptFile, '--prompt', 'hello', '--max-tokens', '5'], c.out);
    assert.equal(code, 0, c.errors.join('\n'));
    const text = c.written.join('');
    assert.ok(text.startsWith('hello') && text.endsWith('\n'), text);
    assert.equal([...text.trimEnd()].length, 10);
    const bad = capture();
    assert.equal(await main(['generate', gptFile, '--prompt', 'héllo€'], bad.out), 1);
    assert.match(bad.errors.join(''), /never saw: "é", "€"/);
    const bare = capture();
    assert.equal(await main(['generate', bareFile, '--prompt', 'hi'], bare.out), 1);
    assert.match(bare.errors.join(''), /records no tokenizer/);
    const temp = capture();
    assert.equal(
      await main(['generate', gptFile, '--prompt', 'hi', '--temperature', 'x'], temp.out),
      2,
    );
    assert.match(temp.errors.join(''), /--temperature must be a number/);
  });

  it('trm generate on a KV-cache export prints what the full export and --no-kv print', async () => {
    const texts: string[] = [];
    for (const args of [[gptFile], [decodeFile], [decodeFile, '--no-kv']]) {
      const c = capture();
      const code = await main(
        ['generate', ...args, '--prompt', 'the cat', '--max-tokens', '12'],
        c.out,
      );
      assert.equal(code, 0, c.errors.join('\n'));
      texts.push(c.written.join(''));
    }
    assert.equal([...texts[0]!.trimEnd()].length, 19);
    assert.equal(texts[1], texts[0]);
    assert.equal(texts[2], texts[0]);
  });

  it('trm solve prints every step and the steps used; rejects a puzzle of the wrong size', async () => {
    const c = capture();
    const code = await main(
      ['solve', stepFile, '--puzzle', '1.3..2....4.3..1', '--all-steps'],
      c.out,
    );
    assert.equal(code, 0, c.errors.join('\n'));
    assert.equal(c.lines.filter((l) => /^step \d \(halt logit/.test(l)).length, 4);
    assert.equal(c.lines.at(-1), 'used all 4 supervision steps without halting');
    assert.equal(c.lines[1], '  1 . | 3 .');
    const wrong = capture();
    assert.equal(await main(['solve', stepFile, '--puzzle', '1.3..2..'], wrong.out), 2);
    assert.match(wrong.errors.join(''), /has 8 cells; a Sudoku has 16 \(4×4\) or 81 \(9×9\)/);
    const nine = capture();
    assert.equal(await main(['solve', stepFile, '--puzzle', '.'.repeat(81)], nine.out), 2);
    assert.match(nine.errors.join(''), /this model solves 16-cell puzzles/);
    const full = capture();
    assert.equal(await main(['solve', gptFile, '--puzzle', '.'.repeat(16)], full.out), 1);
    assert.match(full.errors.join(''), /Export it with --mode step/);
  });
});
