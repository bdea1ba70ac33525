import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveCheckpointDir } from '../../engine/io/checkpoint-files.ts';

describe('resolveCheckpointDir: the folders a user may name', () => {
  const root = mkdtempSync(join(tmpdir(), 'trm-ckdir-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const step = (dir: string, n: number) => {
    const s = join(dir, `step-${String(n).padStart(6, '0')}`);
    mkdirSync(s, { recursive: true });
    writeFileSync(join(s, 'checkpoint.json'), '{}');
    writeFileSync(
      join(dir, 'latest.json'),
      JSON.stringify({ checkpoint: `step-${String(n).padStart(6, '0')}`, step: n }),
    );
    return s;
  };

  it('a step folder, a `trm train --out` folder, and an app run folder (checkpoints/ inside)', async () => {
    const cli = join(root, 'cli');
    const s1 = step(cli, 3);
    assert.equal(await resolveCheckpointDir(s1), s1);
    assert.equal(await resolveCheckpointDir(cli), s1);
    const app = join(root, 'app');
    const s2 = step(join(app, 'checkpoints'), 7);
    assert.equal(await resolveCheckpointDir(app), s2);
  });

  it('an empty folder is named, with what would have been taken', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await assert.rejects(resolveCheckpointDir(empty), (e: Error) => {
      assert.match(
        e.message,
        /empty holds no checkpoint \(neither checkpoint\.json nor latest\.json, nor a checkpoints\/ folder with one\)/,
      );
      return true;
    });
  });
});
