import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { checkpointInterval, parseTrainConfig } from '../../engine/train/config.ts';
import { mulberry32 as rng } from '../../engine/graph/init.ts';
import { runShell, trmPath } from '../support/trm-shell.ts';

// Issue #20 item 6: at the default settings (no checkpoint interval given) a 200-step `trm
// train` is killed with SIGKILL at 5 random moments after step 25; every time, the resume
// command the run printed, pasted into a shell as printed, continues it from a checkpoint.
// With the old default (a checkpoint every 500 steps) none of the kills left one.

const ROOT = resolve(import.meta.dirname, '../..');
const STEPS = 200;
/** A path quoted for sh (the work folder has a space, a quote and a non-ASCII letter). */
const q = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;

test('the default checkpoint interval is a tenth of the run, at most 500, at least 1', () => {
  const every = (steps: number, extra = {}) =>
    checkpointInterval(parseTrainConfig({ steps, ...extra }));
  assert.equal(every(200), 20);
  assert.equal(every(100_000), 500);
  assert.equal(every(5), 1);
  assert.equal(every(200, { checkpointEvery: 0 }), 0);
  assert.equal(every(200, { checkpointEvery: 7 }), 7);
  assert.equal(parseTrainConfig({}).checkpointSeconds, 60);
});

test('trm train --steps 200 at default settings survives 5 random SIGKILLs through its printed resume command', async () => {
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), "trm kill 'ü-"));
  const doc = JSON.parse(readFileSync(join(ROOT, 'templates/tiny-gpt.json'), 'utf8')) as {
    dims: Record<string, number>;
  };
  // The smallest template at toy sizes, so 200 steps take seconds on a shared CPU.
  doc.dims = { ...doc.dims, V: 14, D: 16, H: 2, T: 9 };
  const docFile = join(work, 'tiny.json');
  writeFileSync(docFile, JSON.stringify(doc));
  const out = join(work, 'run');
  const path = trmPath();
  const random = rng(20261203);
  let command = `trm train ${q(docFile)} --data copy:length=4 --steps ${STEPS} --batch 8 --backend cpu --out ${q(out)}`;
  let printed: string | undefined;
  let resumedFrom = 0;
  const resumedAt: number[] = [];
  for (let kill = 0; kill < 5; kill++) {
    // A random step in this kill's fifth of [25, 190], then a random few milliseconds more.
    const target = Math.max(resumedFrom + 5, 25 + Math.floor(33 * (kill + random())));
    const delay = Math.floor(random() * 60);
    const r = await runShell(command, path, (line) => {
      const hint = /^If this run is interrupted, continue it with: (.+)$/.exec(line);
      if (hint) printed = hint[1];
      const m = /^step (\d+)\//.exec(line);
      return m && Number(m[1]) >= target ? delay : undefined;
    });
    assert.ok(r.killed, `kill ${kill + 1} (step ${target}) did not land:\n${r.lines.join('\n')}`);
    if (kill > 0) {
      const m = /, resuming .*step-(\d+) at step (\d+)\.$/.exec(r.lines[0] ?? '');
      assert.ok(m, `the printed command did not resume: ${r.lines.join('\n')}`);
      assert.equal(Number(m[2]), resumedFrom);
    }
    assert.ok(printed, `no resume command was printed before the kill:\n${r.lines.join('\n')}`);
    // Where the run stands on disk after the kill (a kill mid-write leaves the one before).
    const latest = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as { step: number };
    const lastCheckpoint = latest.step;
    assert.ok(lastCheckpoint >= 20, `killed after step ${target} with no checkpoint`);
    resumedFrom = lastCheckpoint;
    resumedAt.push(lastCheckpoint);
    command = printed;
  }
  const last = await runShell(command, path);
  assert.equal(last.code, 0, last.lines.join('\n'));
  assert.match(last.lines[0]!, new RegExp(`at step ${resumedFrom}\\.$`));
  assert.equal(
    last.lines.at(-1),
    `Finished at step ${STEPS}; the run is complete. Its last checkpoint is ${join(out, 'step-000200')}.`,
  );
  assert.ok(!last.lines.some((l) => l.includes('Resume with')));
  console.log(
    `default checkpoints: 5/5 SIGKILLs resumed (at steps ${resumedAt.join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
});
