import { capture } from '../support/capture.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { compile } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import { initialValues } from '../../engine/onnx/initial-weights.ts';
import { onnx } from '../../engine/onnx/proto.ts';
import { withSmallInit } from '../support/init.ts';

describe('trm export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-export-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the model and its verdict, and prints the verdict table', async () => {
    const file = join(dir, 'sudoku.onnx');
    // Untrained weights: the contractive start (test/support/init.ts), so int8 stays close.
    const small = join(dir, 'trm-mlp-small.json');
    writeFileSync(
      small,
      JSON.stringify(
        withSmallInit(JSON.parse(readFileSync('templates/trm-mlp-sudoku.json', 'utf8'))),
      ),
    );
    const c = capture();
    const code = await main(
      [
        'export',
        small,
        '--precision',
        'int8',
        '--mode',
        'step',
        '--out',
        file,
        '--backend',
        'wasm',
        '--task-examples',
        '64',
      ],
      c.out,
    );
    assert.equal(code, 0, c.errors.join('\n') + c.lines.join('\n'));
    assert.ok(
      c.lines.some((l) => l.startsWith('verdict: PASS')),
      c.lines.join('\n'),
    );
    // The task check: held-out puzzles through the four supervision steps, tfjs → onnx.
    const task = c.lines.findIndex((l) =>
      l.startsWith('task sudoku-4x4 on sudoku 4×4 held-out set, 64 examples, 4 supervision steps'),
    );
    assert.ok(task >= 0, c.lines.join('\n'));
    assert.match(
      c.lines[task + 1]!,
      /^ {2}exact-match [\d.]+% → [\d.]+% \([+-][\d.]+ pt\) · accuracy [\d.]+% → [\d.]+% \([+-][\d.]+ pt\)$/,
    );
    assert.ok(c.lines.some((l) => /^answer\s/.test(l)));
    assert.ok(
      c.lines.some((l) => /^halt\s.*halt 100\.0%/.test(l)),
      c.lines.join('\n'),
    );
    const verdict = JSON.parse(readFileSync(join(dir, 'sudoku.verify.json'), 'utf8'));
    assert.equal(verdict.ok, true);
    assert.equal(verdict.precision, 'int8');
    assert.equal(verdict.task.examples, 64);
    assert.equal(verdict.task.depth, 4);
    assert.equal(verdict.taskSkipped, null);
    assert.ok(verdict.latencyMs.batch1 > 0 && verdict.latencyMs.batch64 > 0);
    const model = onnx.ModelProto.decode(readFileSync(file));
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    const template = JSON.parse(readFileSync('templates/trm-mlp-sudoku.json', 'utf8'));
    assert.equal(JSON.parse(meta['trm.graph'] as string).name, template.name);
    assert.equal(meta['trm.mode'], 'step');
    assert.ok(meta['trm.supervision']);
  });

  it('exports the weights of a trainer checkpoint (run folder through latest.json)', async () => {
    const doc = parseDocument(readFileSync('templates/trm-mlp-sudoku.json', 'utf8'));
    assert.ok(doc.ok);
    const program = compile(doc.doc, { mode: 'full' }).program!;
    // Every weight + 0.01, in the trainer's layout: a manifest and one float32 blob.
    const { weights } = initialValues(program);
    const names = [...weights.keys()];
    const total = names.reduce((n, k) => n + weights.get(k)!.length, 0);
    const blob = new Float32Array(total);
    let at = 0;
    const manifest = names.map((name) => {
      const v = weights.get(name)!;
      blob.set(
        v.map((x) => x + 0.01),
        at,
      );
      const entry = { name, shape: program.params.get(name)!.shape, offset: at * 4 };
      at += v.length;
      return entry;
    });
    const run = join(dir, 'run');
    mkdirSync(join(run, 'step-000010'), { recursive: true });
    writeFileSync(join(run, 'step-000010', 'weights.bin'), new Uint8Array(blob.buffer));
    writeFileSync(
      join(run, 'step-000010', 'checkpoint.json'),
      JSON.stringify({
        format: 'trm-checkpoint',
        config: { lr: 0.001 },
        blobs: { weights: { file: 'weights.bin', manifest } },
      }),
    );
    writeFileSync(
      join(run, 'latest.json'),
      JSON.stringify({ checkpoint: 'step-000010', step: 10 }),
    );
    const file = join(dir, 'trained.onnx');
    const c = capture();
    const code = await main(
      ['export', 'templates/trm-mlp-sudoku.json', '--weights', run, '--out', file],
      c.out,
    );
    assert.equal(code, 0, c.errors.join('\n') + c.lines.join('\n'));
    const model = onnx.ModelProto.decode(readFileSync(file));
    const first = names[0]!;
    const init = model.graph!.initializer!.find((t) => t.name === first)!;
    const raw = init.rawData as Uint8Array;
    const values = new Float32Array(new Uint8Array(raw).buffer);
    assert.ok(Math.abs(values[0]! - (weights.get(first)![0]! + 0.01)) < 1e-7);
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    assert.deepEqual(JSON.parse(meta['trm.training'] as string), { lr: 0.001 });
  });

  it('refuses bad options with a sentence and exit 2', async () => {
    const c = capture();
    assert.equal(
      await main(['export', 'templates/tiny-gpt.json', '--precision', 'int3'], c.out),
      2,
    );
    assert.match(c.errors.join('\n'), /unknown precision "int3"/);
    assert.equal(await main(['export', 'templates/tiny-gpt.json', '--opset', '19'], c.out), 2);
    assert.match(c.errors.join('\n'), /opset 19 is not offered/);
    assert.equal(
      await main(['export', 'templates/tiny-gpt.json', '--max-accuracy-drop', 'lots'], c.out),
      2,
    );
    assert.match(
      c.errors.join('\n'),
      /--max-accuracy-drop must be a number ≥ 0 \(points\), not "lots"/,
    );
    assert.equal(
      await main(['export', 'templates/tiny-gpt.json', '--task-examples', '0'], c.out),
      2,
    );
    assert.match(c.errors.join('\n'), /--task-examples must be a whole number ≥ 1/);
  });

  it('says a step export needs deep supervision', async () => {
    const c = capture();
    const code = await main(
      ['export', 'templates/tiny-gpt.json', '--mode', 'step', '--out', join(dir, 'x.onnx')],
      c.out,
    );
    assert.equal(code, 1);
    assert.match(c.errors.join('\n'), /needs a recursion with deep supervision/);
    assert.ok(!existsSync(join(dir, 'x.onnx')));
  });
});
