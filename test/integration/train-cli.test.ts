import { capture } from '../support/capture.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { parseDataArg } from '../../engine/data/data-arg.ts';

const small = ['--backend', 'cpu', '--batch', '4', '--config', '{"evalExamples":8,"evalEvery":0}'];

test('trm train prints plain progress lines off a terminal, checkpoints, and resumes; trm eval reads the run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-cli-'));
  const a = capture();
  const code = await main(
    [
      'train',
      'templates/tiny-gpt.json',
      '--data',
      'copy:length=4',
      '--steps',
      '4',
      '--out',
      dir,
      ...small,
    ],
    a.out,
  );
  assert.equal(code, 0, a.errors.join('\n'));
  assert.match(a.lines[0]!, /^Training [\d,]+ parameters on copy 4 with the cpu backend\.$/);
  assert.ok(
    a.lines.some((l) =>
      /^step 4\/4 {2}loss \d+\.\d{4} {2}acc [\d.]+% {2}exact [\d.]+% {2}[\d,]+ tok\/s {2}ETA 0s$/.test(
        l,
      ),
    ),
    a.lines.join('\n'),
  );
  assert.ok(a.lines.some((l) => l.startsWith('eval @ step 4: 8 held-out examples')));
  assert.ok(a.lines.includes(`checkpoint: ${join(dir, 'step-000004')}`));
  // A finished run offers no resume; the checkpoint is named for eval, export or more steps.
  assert.equal(
    a.lines.at(-1),
    `Finished at step 4; the run is complete. Its last checkpoint is ${join(dir, 'step-000004')}.`,
  );
  assert.ok(!a.lines.some((l) => l.includes('\r')));

  const b = capture();
  assert.equal(
    await main(['train', '--resume', dir, '--steps', '6', '--backend', 'cpu'], b.out),
    0,
    b.errors.join('\n'),
  );
  assert.match(b.lines[0]!, /resuming .*step-000004 at step 4\./);
  assert.ok(existsSync(join(dir, 'step-000006')));

  const c = capture();
  assert.equal(
    await main(['eval', '--checkpoint', dir, '--examples', '8', '--backend', 'cpu'], c.out),
    0,
    c.errors.join('\n'),
  );
  assert.match(
    c.lines[0]!,
    /^eval @ step 6: 8 held-out examples, loss [\d.]+, accuracy [\d.]+%(, open cells [\d.]+%)?, exact match [\d.]+%$/,
  );
});

test('trm train refuses bad input with sentences naming the fix', async () => {
  const a = capture();
  assert.equal(
    await main(['train', 'templates/tiny-gpt.json', '--data', 'nonsense', ...small], a.out),
    1,
  );
  assert.match(
    a.errors[0]!,
    /--data "nonsense" is neither a file nor a known dataset; use one of sudoku4/,
  );
  const b = capture();
  assert.equal(
    await main(['train', 'templates/trm-sudoku.json', '--data', 'copy', ...small], b.out),
    1,
  );
  assert.match(
    b.errors.join(' '),
    /The head main\/supervise\/answer predicts 6 classes but the data "copy 8" has a vocabulary of 14; set the graph.s V to 14\./,
  );
  const c = capture();
  assert.equal(await main(['train', ...small], c.out), 2);
  assert.match(c.errors[0]!, /missing GRAPH/);
  const d = capture();
  assert.equal(await main(['eval', '--checkpoint', tmpdir() + '/does-not-exist'], d.out), 1);
  assert.match(d.errors[0]!, /holds no checkpoint/);
});

test('--data shorthands, fields, JSON, and text length from the graph', () => {
  const doc = { version: 1, name: 'x', dims: { T: 48 }, main: { nodes: [], edges: [] } } as never;
  assert.deepEqual(parseDataArg('sudoku4', doc), { type: 'sudoku', size: 4 });
  assert.deepEqual(parseDataArg('copy:length=8,symbols=5', doc), {
    type: 'copy',
    length: 8,
    symbols: 5,
  });
  assert.deepEqual(parseDataArg('brown', doc), { type: 'corpus', name: 'brown', length: 48 });
  assert.deepEqual(parseDataArg('{"type":"maze","size":9}', doc), { type: 'maze', size: 9 });
  assert.deepEqual(parseDataArg('templates/tiny-gpt.json', doc), {
    type: 'text',
    path: 'templates/tiny-gpt.json',
    length: 48,
  });
  assert.throws(() => parseDataArg(undefined, doc), /No training data: pass --data/);
});

test('trm train --init-from starts from a run by weight name, --freeze keeps nodes still, bad flags get a sentence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-cli-ft-'));
  const args = ['templates/tiny-gpt.json', '--data', 'copy:length=4', '--steps', '2', ...small];
  const a = capture();
  assert.equal(
    await main(['train', ...args, '--out', join(dir, 'a')], a.out),
    0,
    a.errors.join('\n'),
  );
  const b = capture();
  const code = await main(
    [
      'train',
      ...args,
      '--out',
      join(dir, 'b'),
      '--init-from',
      join(dir, 'a', 'step-2'),
      '--freeze',
      'embed,block1/attn',
    ],
    b.out,
  );
  assert.equal(code, 0, b.errors.join('\n'));
  assert.ok(
    b.lines.includes(
      `Starting from ${join(dir, 'a')} at step 2: 24 weights mapped by name, none initialised afresh.`,
    ),
    b.lines.join('\n'),
  );
  assert.ok(
    b.lines.some((l) =>
      l.startsWith('Frozen (not trained): 5 weights: embed/table, block1/attn/wq'),
    ),
  );
  const c = capture();
  assert.equal(await main(['train', ...args, '--lr-scale', 'embed=0'], c.out), 1);
  assert.match(
    c.errors.join('\n'),
    /--lr-scale takes NODE=MULTIPLIER pairs .* "embed=0" is not one \(to stop a node training, --freeze it\)/,
  );
  const d = capture();
  assert.equal(await main(['train', ...args, '--resize-embedding'], d.out), 1);
  assert.match(d.errors.join('\n'), /--resize-embedding goes with --init-from RUN/);
  const e = capture();
  assert.equal(await main(['train', ...args, '--init-from', join(dir, 'a', 'step-7')], e.out), 1);
  assert.match(
    e.errors.join('\n'),
    /has no checkpoint step-000007; it holds step-000002, step-000001\. Start from one of those\./,
  );
});
