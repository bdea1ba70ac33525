import { capture } from '../support/capture.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { Rng } from '../../engine/data/rng.ts';
import { generateSudoku } from '../../engine/data/sudoku.ts';
import { parseDataArg } from '../../engine/data/data-arg.ts';

const doc = { version: 1, name: 'x', main: { nodes: [], edges: [] } } as never;

test('--data sudoku-csv:PATH, maze-csv:PATH and arc:DIR, with fields or path=', () => {
  assert.deepEqual(parseDataArg('sudoku-csv:data/train.csv', doc), {
    type: 'sudoku-csv',
    path: 'data/train.csv',
  });
  assert.deepEqual(parseDataArg('maze-csv:data/maze hard.csv,limit=100,augment=false', doc), {
    type: 'maze-csv',
    path: 'data/maze hard.csv',
    limit: 100,
    augment: false,
  });
  assert.deepEqual(parseDataArg('arc:C:\\arc\\training,augmentations=8', doc), {
    type: 'arc',
    path: 'C:\\arc\\training',
    augmentations: 8,
  });
  assert.deepEqual(parseDataArg('sudoku-csv:path=1000,validationSize=5', doc), {
    type: 'sudoku-csv',
    path: '1000',
    validationSize: 5,
  });
  // A comma not followed by key= stays in the path.
  assert.deepEqual(parseDataArg('sudoku-csv:a,b.csv,limit=2', doc), {
    type: 'sudoku-csv',
    path: 'a,b.csv',
    limit: 2,
  });
  assert.throws(() => parseDataArg('arc', doc), /--data arc needs a folder: arc:DIR/);
  assert.throws(() => parseDataArg('sudoku-csv:', doc), /--data sudoku-csv needs a file/);
  assert.throws(
    () => parseDataArg('sudoku-csv:x.csv,limit=2,augment', doc),
    /must look like key=value/,
  );
  assert.throws(
    () => parseDataArg('nonsense', doc),
    /use one of sudoku4.*sudoku-csv:PATH, maze-csv:PATH, arc:DIR/,
  );
});

test('trm train --data sudoku-csv:FILE trains a TRM on a 4×4 CSV; a bad row stops it with the sentence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-puzzle-cli-'));
  const rows = Array.from({ length: 24 }, (_, i) => {
    const { puzzle, solution } = generateSudoku(2, Rng.of(5, i));
    return `s${i},${Array.from(puzzle, (v) => (v ? v : '.')).join('')},${solution.join('')},0`;
  });
  const file = join(dir, 'sudoku4.csv');
  writeFileSync(file, ['source,question,answer,rating', ...rows].join('\n'));
  const small = [
    '--backend',
    'cpu',
    '--batch',
    '4',
    '--config',
    '{"evalExamples":4,"evalEvery":0}',
  ];
  const out = join(dir, 'run');
  const a = capture();
  const code = await main(
    [
      'train',
      'templates/trm-mlp-sudoku.json',
      '--data',
      `sudoku-csv:${file},validationSize=4`,
      '--steps',
      '3',
      '--out',
      out,
      ...small,
    ],
    a.out,
  );
  assert.equal(code, 0, a.errors.join('\n'));
  assert.match(a.lines[0]!, /on sudoku 4×4 from .*sudoku4\.csv with the cpu backend\.$/);
  assert.ok(
    a.lines.some((l) => /^eval @ step 3 .*: 4 held-out examples/.test(l)),
    a.lines.join('\n'),
  );
  assert.ok(existsSync(join(out, 'step-000003')), a.lines.join('\n'));

  const bad = join(dir, 'bad.csv');
  writeFileSync(
    bad,
    ['source,question,answer,rating', ...rows.slice(0, 3), 'x,....,1234,0'].join('\n'),
  );
  const b = capture();
  assert.equal(
    await main(
      [
        'train',
        'templates/trm-mlp-sudoku.json',
        '--data',
        `sudoku-csv:${bad}`,
        '--steps',
        '1',
        ...small,
      ],
      b.out,
    ),
    1,
  );
  assert.match(
    b.errors.join(' '),
    /bad\.csv" line 5 \(the header is line 1\): the question has 4 characters, but the file's first puzzle has 16/,
  );
});
