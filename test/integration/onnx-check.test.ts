import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compile } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import { emitOnnx, PRECISIONS } from '../../engine/onnx/emit.ts';
import { initialValues } from '../../engine/onnx/initial-weights.ts';

// An independent reader: Debian's python3-onnx (1.12) runs the full checker on opset-17
// exports. `/usr/bin/python3` on purpose: the python3 first on PATH lacks Debian's packages.
const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
const skip =
  probe.status === 0
    ? false
    : `${PYTHON} cannot import onnx (install the Debian package python3-onnx)`;

function exportTemplate(dir: string, template: string, mode: 'full' | 'step', opset: 17 | 23) {
  const parsed = parseDocument(readFileSync(`templates/${template}.json`, 'utf8'));
  assert.ok(parsed.ok);
  const program = compile(parsed.doc, { mode }).program;
  assert.ok(program);
  const { weights, buffers } = initialValues(program);
  return PRECISIONS.map((precision) => {
    const file = join(dir, `${template}-${mode}-${precision}-${opset}.onnx`);
    writeFileSync(file, emitOnnx(program, weights, buffers, { opset, precision }));
    return file;
  });
}

describe('onnx.checker (python3-onnx) on opset-17 exports', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-onnx-check-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts every template at every precision, full and step', () => {
    const files = [
      ...exportTemplate(dir, 'tiny-gpt', 'full', 17),
      ...exportTemplate(dir, 'trm-sudoku', 'step', 17),
      ...exportTemplate(dir, 'trm-mlp-sudoku', 'full', 17),
      ...exportTemplate(dir, 'trm-sudoku', 'full', 17),
    ];
    const r = spawnSync(PYTHON, ['scripts/onnx_check.py', ...files], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(
      r.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('ok ')).length,
      files.length,
    );
  });

  it('rejects a model it cannot read (the check can fail)', () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, new Uint8Array([8, 200, 1, 2, 3]));
    const r = spawnSync(PYTHON, ['scripts/onnx_check.py', bad], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout);
  });
});
