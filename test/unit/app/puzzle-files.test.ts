import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { confineDataSpec } from '../../../engine/service/data-paths.ts';
import { trainOptions } from '../../../engine/service/runs.ts';
import { puzzleFileSpec } from '../../../renderer/src/task-data.ts';

describe("the Train panel's puzzle files", () => {
  it('offers the three layouts with their options, the path left to the panel', () => {
    const layouts = trainOptions().puzzleFiles;
    assert.deepEqual(
      layouts.map((l) => [l.type, l.folder]),
      [
        ['sudoku-csv', false],
        ['maze-csv', false],
        ['arc', true],
      ],
    );
    const keys = (i: number) =>
      Object.keys((layouts[i]!.options as { properties: object }).properties).sort();
    assert.deepEqual(keys(0), ['augment', 'limit', 'validationSize']);
    assert.deepEqual(keys(2), ['augment', 'augmentations', 'limit', 'validationSize']);
  });

  it('builds the spec train.start takes, and asks for a path when none is given', () => {
    assert.deepEqual(puzzleFileSpec('maze-csv', ' data/maze.csv ', { limit: 10 }), {
      type: 'maze-csv',
      path: 'data/maze.csv',
      limit: 10,
    });
    assert.throws(() => puzzleFileSpec('arc', '  ', {}), /Name the puzzle file \(or ARC folder\)/);
  });

  it('confines the file or folder to the workspace: a folder for arc, a file for the CSVs', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'trm-ws-'));
    mkdirSync(join(workspace, 'arc'));
    writeFileSync(join(workspace, 'p.csv'), 'source,question,answer,rating\n');
    const arc = { type: 'arc', path: 'arc' };
    await confineDataSpec(arc, workspace);
    assert.equal(arc.path, join(workspace, 'arc'));
    await assert.rejects(
      confineDataSpec({ type: 'arc', path: 'p.csv' }, workspace),
      /The ARC task folder "p\.csv" is a file, not a folder/,
    );
    await assert.rejects(
      confineDataSpec({ type: 'arc', path: 'none' }, workspace),
      /The ARC task folder "none" does not exist in the workspace/,
    );
    await assert.rejects(
      confineDataSpec({ type: 'sudoku-csv', path: 'arc' }, workspace),
      /The Sudoku CSV file "arc" is a folder, not a file/,
    );
    await assert.rejects(
      confineDataSpec({ type: 'maze-csv', path: '../elsewhere.csv' }, workspace),
      /The maze CSV file "\.\.\/elsewhere\.csv" is outside the workspace/,
    );
    const csv = { type: 'sudoku-csv', path: 'p.csv' };
    await confineDataSpec(csv, workspace);
    assert.equal(csv.path, join(workspace, 'p.csv'));
  });
});
