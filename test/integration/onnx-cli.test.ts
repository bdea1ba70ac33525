import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { onnx } from '../../engine/onnx/proto.ts';

function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    out: { log: (s: string) => lines.push(s), error: (s: string) => errors.push(s) },
    lines,
    errors,
  };
}

describe('trm export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-export-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the model and its verdict, and prints the verdict table', async () => {
    const file = join(dir, 'sudoku.onnx');
    const c = capture();
    const code = await main(
      [
        'export',
        'templates/trm-mlp-sudoku.json',
        '--precision',
        'int8',
        '--mode',
        'step',
        '--out',
        file,
        '--backend',
        'wasm',
      ],
      c.out,
    );
    assert.equal(code, 0, c.errors.join('\n') + c.lines.join('\n'));
    assert.ok(
      c.lines.some((l) => l.startsWith('verdict: PASS')),
      c.lines.join('\n'),
    );
    assert.ok(c.lines.some((l) => /^answer\s/.test(l)));
    const verdict = JSON.parse(readFileSync(join(dir, 'sudoku.verify.json'), 'utf8'));
    assert.equal(verdict.ok, true);
    assert.equal(verdict.precision, 'int8');
    assert.ok(verdict.latencyMs.batch1 > 0 && verdict.latencyMs.batch64 > 0);
    const model = onnx.ModelProto.decode(readFileSync(file));
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    const template = JSON.parse(readFileSync('templates/trm-mlp-sudoku.json', 'utf8'));
    assert.equal(JSON.parse(meta['trm.graph'] as string).name, template.name);
    assert.equal(meta['trm.mode'], 'step');
    assert.ok(meta['trm.supervision']);
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
