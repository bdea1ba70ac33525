import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { main } from '../../engine/cli/main.ts';
import { parsePuzzle } from '../../engine/cli/commands/solve.ts';
import { createDataSource } from '../../engine/data/index.ts';
import { SudokuSpec } from '../../engine/data/spec.ts';

// A TRM (puzzle) export folder carries its puzzle encoding in config.json: a host that reads
// only config.json and the ONNX file encodes a Sudoku, runs the supervision steps as the
// config says, decodes the answer through the vocabulary, and gets the grid `trm solve` prints.

const PUZZLE = '1.3..4.2.1..2...';

describe('TRM export folder: puzzle encoding in config.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-puzzle-folder-'));
  const folder = join(dir, 'sudoku');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lets a host encode, step and decode a puzzle from config.json alone', async () => {
    const doc = JSON.parse(readFileSync('templates/trm-mlp-sudoku.json', 'utf8'));
    doc.dims = { ...doc.dims, D: 16, F_seq: 16 };
    const graph = join(dir, 'sudoku.json');
    writeFileSync(graph, JSON.stringify(doc));
    const lines: string[] = [];
    const out = { log: (s: string) => lines.push(s), error: (s: string) => lines.push(s) };
    const code = await main(
      ['export', graph, '--mode', 'step', '--out', folder, '--backend', 'wasm', '--no-task'],
      out,
    );
    assert.equal(code, 0, lines.join('\n'));
    assert.ok(!existsSync(join(folder, 'tokenizer.json')), 'a puzzle model has no text tokenizer');
    assert.ok(!existsSync(join(folder, 'generation_config.json')));

    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    assert.equal(config.model_type, 'trm');
    const p = config.trm.puzzle;
    assert.equal(p.task, 'sudoku-4x4');
    assert.equal(p.length, 16);
    assert.equal(p.supervisionSteps, 4);
    assert.deepEqual(p.state, ['supervise.y', 'supervise.z']);
    assert.equal(p.halt, 'halt');
    assert.match(p.encoding, /1 = blank, digit d → d \+ 1/);
    // The vocabulary is the training data's own.
    const source = await createDataSource(SudokuSpec.parse({ type: 'sudoku', size: 4 }), 0);
    assert.deepEqual(p.vocab, source.describe().vocab);
    // Encoding through the config's vocabulary is the Studio's encoding.
    const ids = [...PUZZLE].map((ch) => p.vocab.indexOf(ch));
    assert.deepEqual(ids, [...(parsePuzzle(PUZZLE) as Int32Array)]);

    // The host: int64 input_ids, zero states → `.init`, then every supervision step.
    const session = await ort.InferenceSession.create(join(folder, config.trm.file));
    try {
      const inputIds = new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, p.length]);
      const zeros = (name: string) => {
        const meta = session.inputMetadata.find((m) => m.name === name)!;
        const shape = (meta.isTensor ? meta.shape : []).map((d, i) =>
          typeof d === 'number' ? d : i === 0 ? 1 : p.length,
        );
        return new ort.Tensor('float32', new Float32Array(shape.reduce((a, d) => a * d, 1)), shape);
      };
      const first = await session.run(
        { input_ids: inputIds, ...Object.fromEntries(p.state.map((s: string) => [s, zeros(s)])) },
        p.state.map((s: string) => `${s}.init`),
      );
      let state = Object.fromEntries(p.state.map((s: string) => [s, first[`${s}.init`]!]));
      let logits: Float32Array | undefined;
      for (let step = 0; step < p.supervisionSteps; step++) {
        const r = await session.run({ input_ids: inputIds, ...state });
        logits = r.logits!.data as Float32Array;
        state = Object.fromEntries(p.state.map((s: string) => [s, r[`${s}.next`]!]));
      }
      const classes = p.vocab.length;
      const answer = Array.from({ length: p.length }, (_, cell) => {
        const row = logits!.subarray(cell * classes, (cell + 1) * classes);
        const best = row.indexOf(Math.max(...row));
        const ch = p.vocab[best] as string;
        return ch === '<pad>' ? '.' : ch;
      }).join('');

      const solved: string[] = [];
      const solveCode = await main(['solve', folder, '--puzzle', PUZZLE, '--all-steps'], {
        log: (s: string) => solved.push(s),
        error: (s: string) => solved.push(s),
      });
      assert.equal(solveCode, 0, solved.join('\n'));
      const grid = solved
        .join('\n')
        .split('\n')
        .filter((l) => /^ {2}[\d.]/.test(l))
        .slice(-4)
        .join('')
        .replace(/[\s|]/g, '');
      assert.equal(grid.length, 16, solved.join('\n'));
      assert.equal(answer, grid);
    } finally {
      await session.release();
    }
  });
});
