import { sha256Hex } from '../../engine/io/checkpoint-integrity.ts';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, before, describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { MAX_TEXT_BYTES } from '../../engine/data/text-file.ts';
import { writeSeam } from '../../engine/io/durable-write.ts';
import type { ExportReport } from '../../engine/contract/api.ts';
import { train } from '../../engine/train/trainer.ts';
import { errorOf, template, testService } from '../support/service-harness.ts';

/**
 * Raw messages replaced by sentences (issue #20 item 9, issue #17): each case gives the CLI or
 * the service what used to surface a decoder's, V8's, Node's or a schema's own words, and
 * checks for the sentence that names the file, flag or folder and the next step instead.
 */

const RAW =
  /index out of range|invalid wire type|Invalid array length|received function|received Infinity|argument is ambiguous/;

const { root, workspace, call, ok } = testService('messages');

/** Runs the CLI in-process, capturing what it prints. */
async function trm(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const notes = () => join(workspace, 'notes.onnx');
const noise = () => join(workspace, 'noise.onnx');
const empty = () => join(workspace, 'empty.onnx');
const tinyGpt = () => template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 });
const runDir = (runId: string) => join(workspace, 'runs', runId);

/** A finished run folder as the service writes one, trained here in a few milliseconds. */
async function fakeRun(runId: string): Promise<void> {
  const dir = runDir(runId);
  mkdirSync(dir, { recursive: true });
  const document = tinyGpt();
  writeFileSync(join(dir, 'graph.json'), JSON.stringify(document));
  const config = { backend: 'cpu' as const, batch: 8, warmup: 1, evalEvery: 0, steps: 2 };
  const r = await train({
    document,
    data: { type: 'copy', length: 4 },
    config: { ...config, evalExamples: 8, checkpointEvery: 2 },
    outDir: join(dir, 'checkpoints'),
  });
  r.model.dispose();
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({
      runId,
      name: document.name,
      status: 'completed',
      startedAt: new Date().toISOString(),
      step: 2,
      steps: 2,
      backend: 'cpu',
      data: 'copy',
      params: null,
      lastCheckpoint: join(dir, 'checkpoints', 'step-000002'),
      message: null,
      dir,
    }),
  );
}

/** A copy of run `from` whose saved model weights (plain and EMA) all read `value`. */
function runWithWeights(from: string, runId: string, value: number): void {
  cpSync(runDir(from), runDir(runId), { recursive: true });
  const step = join(runDir(runId), 'checkpoints', 'step-000002');
  const meta = JSON.parse(readFileSync(join(step, 'checkpoint.json'), 'utf8')) as {
    blobs: Record<string, { file: string; sha256?: string }>;
  };
  // As a diverged trainer writes them: NaN weights under their own (valid) hashes.
  for (const group of ['weights', 'ema']) {
    const blob = meta.blobs[group];
    if (!blob) continue;
    const bytes = readFileSync(join(step, blob.file));
    const poisoned = new Float32Array(bytes.length / 4).fill(value);
    writeFileSync(join(step, blob.file), poisoned);
    blob.sha256 = sha256Hex(new Uint8Array(poisoned.buffer));
  }
  writeFileSync(join(step, 'checkpoint.json'), JSON.stringify(meta));
  const record = JSON.parse(readFileSync(join(runDir(runId), 'run.json'), 'utf8'));
  writeFileSync(
    join(runDir(runId), 'run.json'),
    JSON.stringify({ ...record, runId, dir: runDir(runId), lastCheckpoint: step }),
  );
}

before(async () => {
  mkdirSync(workspace, { recursive: true });
  writeFileSync(notes(), 'Meeting notes, saved with the wrong extension.\n');
  // Bytes a protobuf decoder trips over (the "index out of range" the issue quotes).
  writeFileSync(
    noise(),
    Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24),
  );
  writeFileSync(empty(), '');
  await fakeRun('good');
  runWithWeights('good', 'nan-run', NaN);
  runWithWeights('good', 'huge-run', 3e38);
});

const original = { ...writeSeam };
afterEach(() => Object.assign(writeSeam, original));

describe('a file that is not an ONNX model', () => {
  const sentence = (file: string) =>
    new RegExp(
      `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not an ONNX model \\(.+\\); export one with trm export`,
    );

  it('trm generate names the file and how to make a model', async () => {
    for (const file of [notes(), noise(), empty()]) {
      const r = await trm('generate', file, '--prompt', 'hi');
      assert.equal(r.code, 1, file);
      assert.match(r.err, sentence(file));
      assert.doesNotMatch(r.err, RAW);
    }
  });

  it('trm solve names the file and how to make a model', async () => {
    const r = await trm('solve', noise(), '--puzzle', '1..4 .4.. ..3. 3..1');
    assert.equal(r.code, 1);
    assert.match(r.err, sentence(noise()));
    assert.doesNotMatch(r.err, RAW);
  });

  it("the Playground's infer.describe says so, as load-failed", async () => {
    for (const file of [notes(), noise()]) {
      const e = errorOf(await call('infer.describe', { source: { onnxPath: file } }));
      assert.equal(e.code, 'load-failed');
      assert.match(e.message, sentence(file));
      assert.doesNotMatch(e.message, RAW);
    }
  });
});

describe('a training text too large to tokenize', () => {
  it('is refused by size before it is read, naming the file, its size and the limit', async () => {
    // Sparse: 150 MB on paper, nothing on disk; the size decides before any byte is read.
    const big = join(root, 'big.txt');
    writeFileSync(big, '');
    truncateSync(big, 150_000_000);
    const r = await trm('train', 'templates/tiny-gpt.json', '--data', big, '--steps', '1');
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `"${big}" is 150 MB; a training text may be at most 100 MB (100 million characters). Train on a part of it: cut the file to under 100 MB.`,
    );
    assert.doesNotMatch(r.err, RAW);
  });

  it('at exactly the limit is read and judged on its content', async () => {
    const edge = join(root, 'edge.txt');
    writeFileSync(edge, 'text');
    truncateSync(edge, MAX_TEXT_BYTES);
    const r = await trm('train', 'templates/tiny-gpt.json', '--data', edge, '--steps', '1');
    assert.equal(r.code, 1);
    assert.match(r.err, /looks like a binary file \(a NUL byte at offset 4\)/);
  });
});

describe('trm train flags', () => {
  it('--steps -5 is a sentence about --steps, not parseArgs asking whether it is an option', async () => {
    for (const [flag, value, want] of [
      ['--steps', '-5', '--steps must be a whole number ≥ 1, not "-5".'],
      ['--batch', '2.5', '--batch must be a whole number ≥ 1, not "2.5".'],
      ['--lr', '-.1', '--lr must be a number above 0, not "-.1".'],
    ] as const) {
      const r = await trm('train', 'templates/tiny-gpt.json', '--data', 'copy', flag, value);
      assert.equal(r.code, 1, flag);
      assert.equal(r.err, want);
    }
  });

  it('a flag without its value is one sentence, without the whole usage', async () => {
    const missing = await trm('train', 'templates/tiny-gpt.json', '--steps');
    assert.equal(missing.code, 2);
    assert.equal(missing.err, 'trm train: --steps needs a value; see trm train --help.');
    const swallowed = await trm('train', 'templates/tiny-gpt.json', '--out', '--steps', '3');
    assert.equal(swallowed.code, 2);
    assert.equal(
      swallowed.err,
      'trm train: --out needs a value, but "--steps" follows it. Give --out a value, or write --out=--steps if that is the value.',
    );
    for (const r of [missing, swallowed]) {
      assert.doesNotMatch(r.err, RAW);
      assert.doesNotMatch(r.err, /Usage:/);
    }
  });

  it('--config names itself when its JSON is bad or not an object', async () => {
    const bad = await trm('train', 'templates/tiny-gpt.json', '--data', 'copy', '--config', '{bad');
    assert.equal(bad.code, 1);
    assert.match(
      bad.err,
      /^--config is not valid JSON \(.+\); give an object such as --config '\{"ema":0\.999\}'\.$/,
    );
    const list = await trm('train', 'templates/tiny-gpt.json', '--data', 'copy', '--config', '[1]');
    assert.equal(list.code, 1);
    assert.equal(
      list.err,
      `--config must be a JSON object of training settings, not "[1]"; give one such as --config '{"ema":0.999}'.`,
    );
  });
});

describe('an output folder that takes no files', () => {
  const train1 = (out: string) =>
    trm('train', 'templates/tiny-gpt.json', '--data', 'copy', '--steps', '1', '--out', out);

  it('trm train --out under a file stops before the first step, naming the folder', async () => {
    const out = join(notes(), 'run');
    const r = await train1(out);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `Cannot write checkpoints in ${out}: the folder ${out} does not exist or is not a folder (ENOTDIR). Nothing was started; choose an existing folder, then try again.`,
    );
    assert.doesNotMatch(r.out, /Training|step 1/);
  });

  it('trm train --out in a read-only folder stops before the first step (EACCES)', async () => {
    const out = join(root, 'read-only');
    writeSeam.open = async (path, flags) =>
      path.startsWith(out)
        ? Promise.reject(Object.assign(new Error('x'), { code: 'EACCES' }))
        : original.open(path, flags);
    const r = await train1(out);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `Cannot write checkpoints in ${out}: this app may not write in ${out} (EACCES). Nothing was started; choose another folder, or allow writing there, then try again.`,
    );
    assert.doesNotMatch(r.out, /Training|step 1/);
    assert.deepEqual(readdirSync(out), [], 'the probe leaves nothing behind');
  });

  it('trm export --out under a file stops before exporting, naming the folder', async () => {
    const r = await trm('export', 'templates/tiny-gpt.json', '--out', join(notes(), 'm.onnx'));
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `trm export: Cannot write the ONNX model in ${notes()}: the folder ${notes()} does not exist or is not a folder (EEXIST). Nothing was started; choose an existing folder, then try again.`,
    );
  });

  it('export.run into a run whose exports/ is a file is write-failed, naming the folder', async () => {
    cpSync(runDir('good'), runDir('blocked'), { recursive: true });
    writeFileSync(join(runDir('blocked'), 'exports'), 'not a folder');
    const e = errorOf(await call('export.run', { runId: 'blocked', precision: 'fp32' }));
    assert.equal(e.code, 'write-failed');
    // The model folder inside the run's exports/ (which is a file here).
    const folder = join(runDir('blocked'), 'exports', 'Tiny-GPT-full');
    assert.match(
      e.message,
      new RegExp(
        `^Cannot write the ONNX model in ${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*Nothing was started`,
      ),
    );
  });
});

describe('exporting diverged weights', () => {
  it('export.run of a NaN checkpoint is a sentence with the step, not a schema dump', async () => {
    const e = errorOf(await call('export.run', { runId: 'nan-run', precision: 'fp32' }));
    assert.equal(e.code, 'diverged-weights');
    assert.match(
      e.message,
      /^Run nan-run: The checkpoint's weights hold NaN or Infinity \(".+" among them\): training had diverged by step 2, when it was saved\. Nothing was exported; start a new run with a lower learning rate and export that one\.$/,
    );
    assert.doesNotMatch(e.message, RAW);
    assert.equal(existsSync(join(runDir('nan-run'), 'exports')), false);
  });

  it('trm export --weights of a NaN checkpoint prints a FAIL verdict naming the step', async () => {
    const r = await trm(
      'export',
      join(runDir('nan-run'), 'graph.json'),
      '--weights',
      join(runDir('nan-run'), 'checkpoints'),
      '--out',
      join(root, 'nan.onnx'),
    );
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^verdict: FAIL — The checkpoint's weights hold NaN or Infinity .*by step 2, when it was saved\. Nothing was exported; export an earlier step-NNNNNN folder of the run/,
    );
    assert.equal(existsSync(join(root, 'nan.onnx')), false);
  });

  it('export.run whose outputs overflow to NaN returns a FAIL verdict, maxAbsError null', async () => {
    const report = await ok<ExportReport>('export.run', { runId: 'huge-run', precision: 'fp32' });
    assert.equal(report.ok, false);
    assert.equal(report.maxAbsError, null);
    assert.match(report.failures.join(' '), /outputs are not finite/);
  });
});
