import { mulberry32 } from '../../engine/graph/init.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { disposeCheckpoint, readCheckpoint } from '../../engine/train/checkpoint.ts';

// Crash recovery: `trm train` is killed with SIGKILL at chosen and random moments (right after
// a checkpoint, while the next one is being written, after a random delay), then resumed.
// After every kill each step-NNNNNN folder on disk must load, latest.json must name a loadable
// checkpoint, and the resumed run must start from it; at the end the whole loss curve must
// equal an uninterrupted run's (cpu backend, 1e-5).

const ROOT = resolve(import.meta.dirname, '../..');
const STEPS = 16;
const CONFIG = JSON.stringify({
  checkpointEvery: 2,
  evalEvery: 0,
  warmup: 2,
  evalExamples: 8,
  keepCheckpoints: 3,
});

type Kill =
  | { when: 'after-checkpoint' }
  | { when: 'during-checkpoint'; delayMs: number }
  | { when: 'random'; delayMs: number };

interface RunResult {
  killed: boolean;
  code: number | null;
  lines: string[];
}

/** Run `trm train`; kill it with SIGKILL at the moment `kill` describes (if it gets there). */
function runTrain(args: string[], kill?: Kill): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/trm.js'), 'train', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let killed = false;
    const killNow = () => {
      if (killed) return;
      killed = true;
      child.kill('SIGKILL');
    };
    let timer: NodeJS.Timeout | undefined;
    if (kill?.when === 'random') timer = setTimeout(killNow, kill.delayMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (!kill || killed) return;
      if (kill.when === 'after-checkpoint' && line.startsWith('checkpoint:')) killNow();
      // A checkpoint is written right after every even step: kill a few ms into the write.
      const m = /^step (\d+)\//.exec(line);
      if (kill.when === 'during-checkpoint' && m && Number(m[1]) % 2 === 0) {
        timer = setTimeout(killNow, kill.delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => lines.push(`stderr: ${d.toString().trim()}`));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ killed, code, lines });
    });
  });
}

/** Every checkpoint folder loads; latest.json (when present) names one. Returns its step. */
async function checkRunFolder(dir: string): Promise<number | null> {
  if (!existsSync(dir)) return null;
  const names = readdirSync(dir).filter((n) => /^step-\d+$/.test(n));
  for (const name of names) {
    const c = await readCheckpoint(join(dir, name));
    assert.equal(c.meta.step, Number(name.slice(5)), `${name} holds the wrong step`);
    assert.equal(c.meta.metrics.steps.length, c.meta.step, `${name}: history length`);
    disposeCheckpoint(c);
  }
  if (!existsSync(join(dir, 'latest.json'))) {
    assert.equal(names.length, 0, 'checkpoint folders exist but latest.json does not');
    return null;
  }
  const latest = await readCheckpoint(dir);
  const step = latest.meta.step;
  disposeCheckpoint(latest);
  assert.ok(names.includes(`step-${String(step).padStart(6, '0')}`));
  return step;
}

function lossesOf(dir: string): Promise<number[]> {
  return readCheckpoint(dir).then((c) => {
    disposeCheckpoint(c);
    return c.meta.metrics.steps.map((s) => s.loss);
  });
}

test('trm train survives SIGKILL at any moment and resumes on the same loss curve', async () => {
  await selectBackend('cpu');
  const work = mkdtempSync(join(tmpdir(), 'trm crash ü-'));
  const doc = JSON.parse(readFileSync(join(ROOT, 'templates/tiny-gpt.json'), 'utf8')) as {
    dims: Record<string, number>;
  };
  doc.dims = { ...doc.dims, V: 14, D: 16, H: 2, T: 9 };
  const docFile = join(work, 'tiny.json');
  writeFileSync(docFile, JSON.stringify(doc));
  const fresh = (out: string) => [
    docFile,
    '--data',
    'copy:length=4',
    '--steps',
    String(STEPS),
    '--batch',
    '8',
    '--backend',
    'cpu',
    '--out',
    out,
    '--config',
    CONFIG,
  ];

  const reference = join(work, 'reference');
  const straight = await runTrain(fresh(reference));
  assert.equal(straight.code, 0, straight.lines.join('\n'));
  const expected = await lossesOf(reference);
  assert.equal(expected.length, STEPS);

  const random = mulberry32(20261128); // deterministic delays, so a failure reproduces
  const kills: Kill[] = [
    { when: 'random', delayMs: 200 }, // most likely before the first checkpoint
    { when: 'after-checkpoint' },
    { when: 'during-checkpoint', delayMs: 0 },
    { when: 'during-checkpoint', delayMs: 2 },
    { when: 'after-checkpoint' },
    { when: 'during-checkpoint', delayMs: Math.floor(random() * 8) },
    { when: 'random', delayMs: 1500 + Math.floor(random() * 1500) },
    { when: 'during-checkpoint', delayMs: Math.floor(random() * 8) },
  ];
  const run = join(work, 'run');
  let survived = 0;
  let lastStep: number | null = null;
  const resumedAt: number[] = [];
  for (const kill of kills) {
    const args = lastStep === null ? fresh(run) : ['--resume', run, '--backend', 'cpu'];
    const r = await runTrain(args, kill);
    const started = r.lines.find((l) => l.startsWith('Training '));
    if (lastStep !== null && started) {
      const m = /resuming .* at step (\d+)/.exec(started);
      assert.ok(m, `the run did not resume: ${started}`);
      assert.equal(Number(m[1]), lastStep, 'resumed from another step than latest.json names');
      resumedAt.push(lastStep);
    }
    if (!r.killed) {
      // It finished before the kill landed; nothing more to recover.
      assert.equal(r.code, 0, r.lines.join('\n'));
      break;
    }
    const step = await checkRunFolder(run);
    if (lastStep !== null) assert.ok(step !== null && step >= lastStep, 'a checkpoint was lost');
    lastStep = step;
    survived += 1;
  }
  // Finish the run.
  if (lastStep === null || lastStep < STEPS) {
    const args = lastStep === null ? fresh(run) : ['--resume', run, '--backend', 'cpu'];
    const r = await runTrain(args);
    assert.equal(r.code, 0, r.lines.join('\n'));
  }
  assert.equal(await checkRunFolder(run), STEPS);
  const got = await lossesOf(run);
  assert.equal(got.length, STEPS);
  for (let i = 0; i < STEPS; i++) {
    assert.ok(
      Math.abs(got[i]! - expected[i]!) <= 1e-5,
      `step ${i + 1}: ${got[i]} vs ${expected[i]}`,
    );
  }
  assert.notEqual(expected[0], expected[STEPS - 1]);
  assert.ok(survived >= 5, `only ${survived} kills landed`);
  // Kills inside a write leave hidden .tmp-* folders behind: never mistaken for checkpoints.
  const torn = readdirSync(run).filter((n) => n.startsWith('.tmp-')).length;
  console.log(
    `crash recovery: ${survived} SIGKILLs survived; resumed at steps ${resumedAt.join(', ')}; ${torn} interrupted writes left as .tmp-*`,
  );
});
