import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { RunSummary } from '../../engine/contract/api.ts';
import { template, testService } from '../support/service-harness.ts';
import { runShell, trmPath } from '../support/trm-shell.ts';

// Issue #20 item 6: a host (the web host / Electron main) killed with SIGKILL mid-run. Its
// run.json must already name the last checkpoint (it follows every checkpoint); a fresh
// service's runs.list reports the newest intact checkpoint even when the record is stale or
// the newest checkpoint is damaged; and the resume command it shows works as printed.

const ROOT = resolve(import.meta.dirname, '../..');

const HOST = `
import { createService } from ${JSON.stringify(join(ROOT, 'engine/service/service.ts'))};
const [workspace, stateDir, templatesDir, document] = process.argv.slice(2);
const service = createService({ host: 'web', workspace, stateDir, templatesDir });
const reply = await service.dispatch({
  id: 1,
  method: 'train.start',
  params: {
    document: JSON.parse(document),
    data: 'copy:length=4',
    config: { backend: 'cpu', batch: 8, steps: 200, evalEvery: 0 },
  },
});
console.log(JSON.stringify(reply));
`;

const readRun = (dir: string): RunSummary | null => {
  try {
    return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunSummary;
  } catch {
    return null;
  }
};

test('after a host SIGKILL, runs.list reports the last checkpoint and its resume command works as printed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'trm host kill ü-'));
  const workspace = join(root, 'work');
  const hostFile = join(root, 'host.mts');
  writeFileSync(hostFile, HOST);
  const doc = template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 });
  const host = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      hostFile,
      workspace,
      join(root, 'state'),
      join(ROOT, 'templates'),
      JSON.stringify(doc),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((ok) => host.once('close', ok));
  const [first] = (await once(createInterface({ input: host.stdout }), 'line')) as [string];
  const started = JSON.parse(first) as { ok: boolean; result: { runId: string; dir: string } };
  assert.ok(started.ok, first);
  const { dir } = started.result;

  // Wait until run.json itself names a checkpoint past the first (default interval: 20 steps).
  let recorded: RunSummary | null = null;
  for (let i = 0; i < 600 && !(recorded?.step && recorded.step >= 40); i++) {
    await sleep(100);
    recorded = readRun(dir);
  }
  host.kill('SIGKILL');
  await exited;
  assert.ok(recorded?.lastCheckpoint, 'run.json never named a checkpoint while training');
  assert.match(recorded.lastCheckpoint, /step-0000[4-9]0$/);

  const checkpoints = join(dir, 'checkpoints');
  const { ok } = testService('host-kill', { root });
  const listed = async () => (await ok<RunSummary[]>('runs.list', {})).find((r) => r.dir === dir)!;
  const newest = JSON.parse(readFileSync(join(checkpoints, 'latest.json'), 'utf8')) as {
    checkpoint: string;
    step: number;
  };
  const run = await listed();
  assert.equal(run.status, 'failed');
  assert.equal(run.lastCheckpoint, join(checkpoints, newest.checkpoint));
  assert.match(run.message!, new RegExp(`step ${newest.step}\\)`));
  assert.doesNotMatch(run.message!, /wrote no checkpoint/);

  // A record from before run.json followed checkpoints, and a damaged newest checkpoint: the
  // listing still reports the newest intact one, from the disk.
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ ...readRun(dir), step: 0, lastCheckpoint: null, status: 'running' }),
  );
  const weights = join(checkpoints, newest.checkpoint, 'weights.bin');
  const bytes = readFileSync(weights);
  for (let i = 0; i < 200; i++) bytes[(i * 37) % bytes.length]! ^= 0xff;
  writeFileSync(weights, bytes);
  const stale = await listed();
  const previous = newest.step - 20;
  assert.equal(
    stale.lastCheckpoint,
    join(checkpoints, `step-${String(previous).padStart(6, '0')}`),
  );
  assert.match(stale.message!, new RegExp(`step ${previous}\\) keeps the weights`));

  const command = /continue with `([^`]+)`/.exec(stale.message!)?.[1];
  assert.ok(command, stale.message!);
  const resumed = await runShell(command, trmPath());
  assert.equal(resumed.code, 0, resumed.lines.join('\n'));
  assert.match(resumed.lines[0]!, new RegExp(`resuming .* at step ${previous}\\.$`));
  assert.match(resumed.lines[1]!, /weights\.bin does not match its recorded hash/);
  assert.match(resumed.lines[1]!, /Resuming from the newest intact one, step-0000\d0, instead\.$/);
  assert.match(resumed.lines.at(-1)!, /^Finished at step 200; the run is complete\./);
});
