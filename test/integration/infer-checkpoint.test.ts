import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { train } from '../../engine/train/trainer.ts';

function template(name: string, dims: Record<string, number>) {
  const doc = JSON.parse(readFileSync(`templates/${name}.json`, 'utf8'));
  doc.dims = { ...doc.dims, ...dims };
  return doc;
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

const base = {
  backend: 'cpu' as const,
  batch: 8,
  lr: 3e-3,
  warmup: 1,
  evalEvery: 0,
  evalExamples: 8,
  checkpointEvery: 2,
  steps: 2,
};

describe('trm solve and trm generate from a trainer checkpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-infer-ckpt-'));
  const trm = join(dir, 'trm');
  const lm = join(dir, 'lm');
  before(async () => {
    const a = await train({
      document: template('trm-sudoku', { D: 16, H: 2, n: 1, T_rec: 2, N_sup: 3 }),
      data: { type: 'sudoku', size: 4, pool: 20, validationSize: 8 },
      config: base,
      outDir: trm,
    });
    a.model.dispose();
    const b = await train({
      document: template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 }),
      data: { type: 'copy', length: 4 },
      config: base,
      outDir: lm,
    });
    b.model.dispose();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('solves with the tfjs model and agrees with the ONNX step export of the same weights', async () => {
    const puzzle = '1.3..2....4.3..1';
    const ck = capture();
    assert.equal(
      await main(['solve', trm, '--puzzle', puzzle, '--all-steps'], ck.out),
      0,
      ck.errors.join('\n'),
    );
    assert.equal(ck.lines.at(-1), 'used all 3 supervision steps without halting');
    const file = join(dir, 'trm.onnx');
    const ex = capture();
    const doc = join(dir, 'trm.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      doc,
      JSON.stringify(template('trm-sudoku', { D: 16, H: 2, n: 1, T_rec: 2, N_sup: 3 })),
    );
    assert.equal(
      await main(
        ['export', doc, '--mode', 'step', '--weights', trm, '--out', file, '--backend', 'cpu'],
        ex.out,
      ),
      0,
      ex.errors.join('\n'),
    );
    const ox = capture();
    assert.equal(
      await main(['solve', file, '--puzzle', puzzle, '--all-steps'], ox.out),
      0,
      ox.errors.join('\n'),
    );
    // Same grids after every step (the halting logits may differ in the last digits).
    const grids = (lines: string[]) => lines.filter((l) => l.startsWith('  '));
    assert.deepEqual(grids(ox.lines), grids(ck.lines));
  });

  it('generate names the missing tokenizer of a cells-task model', async () => {
    const c = capture();
    assert.equal(await main(['generate', lm, '--prompt', 'ab'], c.out), 1);
    assert.match(c.errors.join(''), /records no tokenizer/);
  });
});
