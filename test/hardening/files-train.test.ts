import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { WriteError, writeSeam } from '../../engine/io/durable-write.ts';
import { readCheckpointWeights } from '../../engine/onnx-runtime/checkpoint.ts';
import { exportModel } from '../../engine/onnx-runtime/export-model.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { disposeCheckpoint, readCheckpoint } from '../../engine/train/checkpoint.ts';
import type { TrainEvent } from '../../engine/contract/events.ts';
import { train } from '../../engine/train/trainer.ts';

// Checkpoints and exports (issue #9, item 5): a full disk or a read-only run folder during
// training fails the run with a message naming the folder and keeps the previous checkpoint
// loadable; a run in a folder named with spaces and unicode trains, checkpoints, resumes and
// exports; a failed export leaves the previous model file as it was.

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'trm run ✓ モデル-'));
after(() => rmSync(work, { recursive: true, force: true }));
before(async () => void (await selectBackend('cpu')));

const original = { ...writeSeam };
afterEach(() => Object.assign(writeSeam, original));

function tinyGpt(): GraphDocument {
  const raw = JSON.parse(readFileSync(join(ROOT, 'templates/tiny-gpt.json'), 'utf8')) as {
    dims: Record<string, number>;
  };
  raw.dims = { ...raw.dims, V: 14, D: 16, H: 2, T: 9 };
  const parsed = parseDocument(JSON.stringify(raw));
  assert.ok(parsed.ok);
  return parsed.doc;
}

const config = {
  backend: 'cpu' as const,
  batch: 8,
  warmup: 2,
  evalEvery: 0,
  evalExamples: 8,
  checkpointEvery: 2,
  steps: 6,
};

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/** Fail the writes of checkpoint `name` the way `code` does (at mkdir, or halfway through). */
function failCheckpoint(name: string, code: 'ENOSPC' | 'EACCES'): void {
  if (code === 'EACCES') {
    writeSeam.mkdir = async (path) =>
      path.includes(`.tmp-${name}-`) ? Promise.reject(errno(code)) : original.mkdir(path);
    return;
  }
  writeSeam.open = async (path, flags) => {
    const real = await original.open(path, flags);
    if (!path.includes(`.tmp-${name}-`) || !path.endsWith('.bin')) return real;
    return {
      ...real,
      async write(data) {
        await real.write(typeof data === 'string' ? data : data.subarray(0, 64));
        throw errno(code);
      },
    };
  };
}

async function checkpointStep(runDir: string): Promise<number> {
  const c = await readCheckpoint(runDir);
  disposeCheckpoint(c);
  return c.meta.step;
}

describe('checkpoints and exports under failure, in a unicode folder with spaces', () => {
  for (const [code, phrase] of [
    ['ENOSPC', /the disk is full/],
    ['EACCES', /may not write in/],
  ] as const) {
    it(`${code} while writing a checkpoint fails the run, naming the folder; the previous one loads`, async () => {
      const runDir = join(work, `run ${code} ä`);
      failCheckpoint('step-000004', code);
      const events: TrainEvent[] = [];
      const r = await train({
        document: tinyGpt(),
        data: { type: 'copy', length: 4 },
        config,
        outDir: runDir,
        onEvent: (e) => events.push(e),
      });
      r.model.dispose();
      assert.equal(r.status, 'failed');
      const err = events.find((e) => e.type === 'error');
      assert.ok(err && err.type === 'error');
      assert.ok(err.message.includes(join(runDir, 'step-000004')), err.message);
      assert.match(err.message, phrase);
      assert.ok(err.message.includes(`checkpoints in ${runDir} are as they were`), err.message);
      assert.equal(err.lastCheckpoint, join(runDir, 'step-000002'));
      assert.equal(await checkpointStep(runDir), 2);
      assert.deepEqual(readdirSync(runDir).sort(), ['latest.json', 'step-000002']);

      // With room again, the run resumes from step 2 and finishes.
      Object.assign(writeSeam, original);
      const resumed = await train({ resume: runDir, outDir: runDir });
      resumed.model.dispose();
      assert.equal(resumed.status, 'completed');
      assert.equal(await checkpointStep(runDir), 6);
      assert.equal(resumed.history.length, 6);
    });
  }

  it('train → checkpoint → resume → export under such a path; a failed export keeps the old model', async () => {
    const runDir = join(work, 'run ✓ ä b');
    const first = await train({
      document: tinyGpt(),
      data: { type: 'copy', length: 4 },
      config: { ...config, steps: 2 },
      outDir: runDir,
    });
    first.model.dispose();
    const second = await train({ resume: runDir, outDir: runDir, config: { steps: 4 } });
    second.model.dispose();
    assert.equal(second.status, 'completed');
    assert.equal(await checkpointStep(runDir), 4);

    const folder = join(work, 'exports モデル');
    mkdirSync(folder);
    const out = join(folder, 'ä b.fp32.onnx');
    const { values } = await readCheckpointWeights(runDir);
    const doc = tinyGpt();
    const done = await exportModel({
      doc,
      precision: 'fp32',
      out,
      weights: values,
      latencyRuns: 0,
    });
    assert.equal(done.report.ok, true, done.report.failures.join('; '));
    assert.ok(readFileSync(out).equals(Buffer.from(done.bytes)), 'the file holds the model');
    assert.ok(JSON.parse(readFileSync(`${out.replace(/\.onnx$/, '')}.verify.json`, 'utf8')));

    writeFileSync(out, 'previous model');
    const before = readdirSync(folder).sort();
    writeSeam.rename = async () => Promise.reject(errno('ENOSPC'));
    await assert.rejects(
      exportModel({ doc, precision: 'fp32', out, weights: values, latencyRuns: 0 }),
      (e: WriteError) => {
        assert.ok(e instanceof WriteError);
        assert.ok(e.message.includes(out), e.message);
        assert.match(e.message, /the disk is full/);
        return true;
      },
    );
    assert.equal(readFileSync(out, 'utf8'), 'previous model');
    assert.deepEqual(readdirSync(folder).sort(), before);
  });
});
