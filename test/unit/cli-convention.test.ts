import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { defaultExportPath } from '../../engine/cli/run-folder.ts';
import { StepTimer } from '../../engine/train/step-timer.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';

async function trm(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const firstLine = (s: string) => s.split('\n')[0];

describe('one CLI convention', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-conv-'));

  it('solve refuses givens that contradict, naming the cells and the unit', async () => {
    const cases: [string, string][] = [
      ['11.. .... .... ....', 'cells r1c1 and r1c2 both hold 1 (same row)'],
      ['2... 2... .... ....', 'cells r1c1 and r2c1 both hold 2 (same column)'],
      ['3... .3.. .... ....', 'cells r1c1 and r2c2 both hold 3 (same box)'],
    ];
    for (const [puzzle, what] of cases) {
      const r = await trm('solve', join(dir, 'none'), '--puzzle', puzzle);
      assert.equal(r.code, 2);
      assert.equal(
        firstLine(r.err),
        `The puzzle's givens contradict: ${what}. Correct one of them; a Sudoku holds each digit once per row, column and box.`,
      );
    }
  });

  it('diff reads a trm train --out folder (its checkpoint records the graph)', async () => {
    const doc = JSON.parse(readFileSync('templates/tiny-gpt.json', 'utf8'));
    const run = join(dir, 'run');
    mkdirSync(join(run, 'step-000010'), { recursive: true });
    writeFileSync(
      join(run, 'latest.json'),
      JSON.stringify({ checkpoint: 'step-000010', step: 10 }),
    );
    writeFileSync(
      join(run, 'step-000010', 'checkpoint.json'),
      JSON.stringify({ format: 'trm-checkpoint', step: 10, document: doc, blobs: {} }),
    );
    const same = await trm('diff', 'templates/tiny-gpt.json', run);
    assert.deepEqual([same.code, same.out], [0, 'The graphs are the same (positions aside).']);
    const step = await trm('diff', join(run, 'step-000010'), 'templates/tiny-gpt.json');
    assert.equal(step.code, 0, step.err);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const none = await trm('diff', empty, 'templates/tiny-gpt.json');
    assert.equal(none.code, 2);
    assert.equal(
      firstLine(none.err),
      `${empty} holds no checkpoint (neither checkpoint.json nor latest.json, nor a checkpoints/ folder with one); pass a run folder written by \`trm train --out\`, an app run's folder, or one of their step-NNNNNN folders.`,
    );
  });

  it('eval and export take the run first; their missing-argument lines say so', async () => {
    assert.equal(firstLine((await trm('eval')).err), 'trm eval: missing RUN.');
    assert.equal(firstLine((await trm('export')).err), 'trm export: missing RUN or GRAPH.');
    const bad = await trm('export', 'templates/tiny-gpt.json', '--max-top1-drop', 'x');
    assert.equal(bad.code, 2);
    assert.equal(
      firstLine(bad.err),
      'trm export: --max-top1-drop must be a number ≥ 0 (points), not "x".',
    );
  });

  it('exports go to the run’s exports/ folder, or exports/ for a graph alone', () => {
    const doc = { name: 'Tiny GPT' } as GraphDocument;
    assert.equal(
      defaultExportPath(doc, join(dir, 'run'), 'full'),
      join(dir, 'run', 'exports', 'Tiny-GPT-full'),
    );
    assert.equal(
      defaultExportPath(doc, join(dir, 'run', 'step-000010'), 'step'),
      join(dir, 'run', 'exports', 'Tiny-GPT-step'),
    );
    assert.equal(defaultExportPath(doc, undefined, 'decode'), 'exports/Tiny-GPT-decode');
  });

  it('templates lists each template with its parameters and its card’s one-liner', async () => {
    const r = await trm('templates');
    assert.equal(r.code, 0);
    assert.match(
      firstLine(r.out)!,
      /^templates\/blank\.json +12\.3k {2}An empty starting point \(a bigram model as it stands\)\.$/,
    );
    assert.match(r.out, /templates\/tiny-gpt\.json +415\.0k {2}A decoder-only transformer/);
  });

  it('the ETA skips the first steps (compile time) and averages the rest', () => {
    const timer = new StepTimer(3, 4);
    for (const s of [5, 1, 1]) timer.record(s);
    assert.equal(timer.eta(100), undefined);
    for (const s of [0.1, 0.1, 0.2, 0.2, 0.2]) timer.record(s);
    assert.ok(Math.abs(timer.eta(100)! - 17.5) < 1e-9);
  });
});
