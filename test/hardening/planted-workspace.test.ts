import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Reply, RunSummary } from '../../engine/contract/api.ts';
import { errorOf, template, testService } from '../support/service-harness.ts';

// A planted workspace (issue #20 items 3, 5, 9): files and links someone else put in the
// workspace must not send the service's reads or writes outside it. Every field that names a
// file is confined (a data spec's `path` and `tokenizerFile`, also as a checkpoint recorded
// them; latest.json's `checkpoint`; a blob's `file`), run folders linked elsewhere are refused,
// FIFOs and folders named like documents are refused without hanging, and byte-order marks are
// no error. After each case the folder beside the workspace is exactly as it was, and its
// secret never appears in a reply.

const { root, workspace, service, call, ok } = testService('planted');
const outside = join(root, 'outside');
const secret = join(outside, 'secret.txt');
const SECRET = 'TOP-SECRET-7f3a';
const runs = join(workspace, 'runs');
const doc = template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 });
const config = { backend: 'cpu', batch: 4, steps: 2, evalEvery: 0, checkpointEvery: 2 };

/** Every path under `dir` with its content (files) or `<dir>`, to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[relative(dir, p)] = '<dir>';
        walk(p);
      } else out[relative(dir, p)] = e.isFile() ? readFileSync(p, 'utf8') : '<other>';
    }
  };
  walk(dir);
  return out;
}

let before0: Record<string, string>;

/** The reply is a refusal in a sentence that names no raw error and leaks nothing from outside. */
function refused(r: Reply, code: string | RegExp, message?: RegExp) {
  const e = errorOf(r);
  if (typeof code === 'string') assert.equal(e.code, code, e.message);
  else assert.match(e.code, code, e.message);
  if (message) assert.match(e.message, message);
  assert.match(e.message, /[.)]$/, `not a sentence: ${e.message}`);
  assert.doesNotMatch(e.message, /ENOENT|EISDIR|EACCES|Unexpected token|failed unexpectedly/);
  assert.ok(!JSON.stringify(r).includes(SECRET), 'the secret leaked into the reply');
  return e;
}

function outsideUntouched() {
  assert.deepEqual(snapshot(outside), before0, 'something outside the workspace changed');
}

/** Settles within `ms`, or fails the test instead of hanging it. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no answer within ${ms} ms (hung)`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

const fifos: string[] = [];
function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
  fifos.push(path);
}
// A reader stuck on a FIFO (the bug) is released, so a failing run still ends.
after(() => {
  for (const f of fifos) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader left: nothing to release.
    }
  }
});

/** A finished run trained through the service; planted runs are copies of it. */
let realRun = '';

/** A copy of the trained run under `runs/<id>`, changed by `plant` (paths relative to it). */
function plantRun(id: string, plant: (dir: string) => void = () => undefined): string {
  const dir = join(runs, id);
  cpSync(join(runs, realRun), dir, { recursive: true });
  const summary = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunSummary;
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...summary, runId: id, dir }));
  plant(dir);
  return dir;
}

const ckpt = (dir: string) => join(dir, 'checkpoints');
function stepOf(dir: string): string {
  return (
    JSON.parse(readFileSync(join(ckpt(dir), 'latest.json'), 'utf8')) as { checkpoint: string }
  ).checkpoint;
}
function editCheckpoint(dir: string, edit: (meta: Record<string, unknown>) => void): void {
  const file = join(ckpt(dir), stepOf(dir), 'checkpoint.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(meta);
  writeFileSync(file, JSON.stringify(meta));
}

before(async () => {
  mkdirSync(outside, { recursive: true });
  writeFileSync(secret, `${SECRET}\n`);
  mkdirSync(join(outside, 'sentinel'));
  const started = await ok<{ runId: string }>('train.start', {
    document: doc,
    data: 'copy:length=4',
    config,
  });
  realRun = started.runId;
  for (let i = 0; i < 600; i++) {
    const { run } = await ok<{ run: RunSummary }>('train.status', { runId: realRun });
    if (run.status === 'completed' && run.lastCheckpoint) break;
    assert.ok(!['failed', 'stopped'].includes(run.status), JSON.stringify(run));
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(existsSync(join(runs, realRun, 'checkpoints', 'latest.json')));
  before0 = snapshot(outside);
});

describe('data files named in train.start', () => {
  it('refuses tokenizerFile outside the workspace with one sentence, existing or not, creating nothing', async () => {
    const targets = [
      secret,
      join(outside, 'sentinel', 'tokenizer.json'),
      join(outside, 'no-such-folder', 'tokenizer.json'),
      '../outside/sentinel/tokenizer.json',
    ];
    const messages = new Set<string>();
    for (const file of targets) {
      const r = await call('train.start', {
        document: doc,
        data: `brown:tokenizer=bpe,vocabSize=300,tokenizerFile=${file}`,
        config,
      });
      const e = refused(r, 'outside-workspace', /tokenizer file .* outside the workspace/);
      messages.add(e.message.replace(file, '<file>'));
    }
    assert.equal(messages.size, 1, [...messages].join('\n'));
    outsideUntouched();
  });

  it('finds file fields by schema, not by key name: a masked-LM base spec and a JSON spec', async () => {
    for (const data of [
      { type: 'mlm', base: { type: 'text', path: secret } },
      { type: 'mlm', base: { type: 'corpus', tokenizer: 'bpe', tokenizerFile: secret } },
      JSON.stringify({ type: 'corpus', tokenizer: 'bpe', tokenizerFile: '../outside/t.json' }),
    ]) {
      refused(
        await call('train.start', { document: doc, data, config }),
        'outside-workspace',
        /outside the workspace/,
      );
    }
    outsideUntouched();
  });

  it('refuses a data file that is a folder, a FIFO or a link out, in sentences, without hanging', async () => {
    mkdirSync(join(workspace, 'corpus.txt'));
    mkfifo(join(workspace, 'pipe.txt'));
    symlinkSync(secret, join(workspace, 'link.txt'));
    const start = (data: unknown) =>
      within(5000, call('train.start', { document: doc, data, config }));
    refused(await start('corpus.txt'), 'not-a-file', /"corpus.txt" is a folder/);
    refused(await start('pipe.txt'), 'not-a-file', /pipe, socket or device/);
    refused(await start('link.txt'), 'outside-workspace');
    refused(
      await start('brown:tokenizer=bpe,vocabSize=300,tokenizerFile=corpus.txt'),
      'not-a-file',
      /tokenizer file "corpus.txt" is a folder/,
    );
    refused(
      await start('brown:tokenizer=bpe,vocabSize=300,tokenizerFile=nowhere/tok.json'),
      'no-data-file',
      /folder for the tokenizer file "nowhere\/tok.json" does not exist in the workspace/,
    );
    outsideUntouched();
  });

  it('refuses a dangling link that would create its target outside', async () => {
    symlinkSync(join(outside, 'sentinel', 'made.json'), join(workspace, 'made.json'));
    refused(
      await call('train.start', {
        document: doc,
        data: 'brown:tokenizer=bpe,vocabSize=300,tokenizerFile=made.json',
        config,
      }),
      'outside-workspace',
    );
    outsideUntouched();
  });

  it('accepts a JSON data spec that starts with a byte-order mark', async () => {
    const r = await ok<{ runId: string }>('train.start', {
      document: doc,
      data: '\uFEFF{"type":"copy","length":4}',
      config: { ...config, steps: 1, checkpointEvery: 0 },
    });
    assert.match(r.runId, /^\d/);
  });
});

describe('planted run folders and checkpoints', () => {
  it('refuses a run folder linked outside the workspace: export.run writes nothing there', async () => {
    const away = join(outside, 'sentinel', 'run');
    cpSync(join(runs, realRun), away, { recursive: true });
    before0 = snapshot(outside);
    symlinkSync(away, join(runs, 'linked'));
    const linked = /Run linked's folder links outside the workspace/;
    refused(
      await call('export.run', { runId: 'linked', precision: 'fp32' }),
      'outside-workspace',
      linked,
    );
    refused(await call('runs.get', { runId: 'linked' }), /outside-workspace|no-such-run/);
    refused(
      await call('infer.describe', { source: { runId: 'linked' } }),
      'outside-workspace',
      linked,
    );
    refused(await call('insight.depth', { runId: 'linked' }), 'outside-workspace', linked);
    const listed = await ok<RunSummary[]>('runs.list', {});
    assert.ok(!listed.some((r) => r.runId === 'linked'), 'a linked-out run is listed');
    assert.ok(!existsSync(join(away, 'exports')), 'export.run wrote through the link');
    outsideUntouched();
  });

  it('refuses a run whose exports folder links outside: the ONNX file is not written there', async () => {
    plantRun('exports-out', (dir) => symlinkSync(join(outside, 'sentinel'), join(dir, 'exports')));
    refused(
      await call('export.run', { runId: 'exports-out', precision: 'fp32' }),
      'outside-workspace',
      /links outside the workspace/,
    );
    outsideUntouched();
  });

  it('refuses latest.json naming ../ or a step linked outside, reading nothing there', async () => {
    // A checkpoint outside whose content is the secret: read, it would show in the error.
    const far = join(outside, 'step-000002');
    mkdirSync(far);
    writeFileSync(join(far, 'checkpoint.json'), SECRET);
    before0 = snapshot(outside);
    const pointTo = (checkpoint: string) => (dir: string) =>
      writeFileSync(join(ckpt(dir), 'latest.json'), JSON.stringify({ checkpoint, step: 2 }));
    plantRun('latest-dotdot', pointTo(`../../../../outside/step-000002`));
    plantRun('latest-abs', pointTo(far));
    plantRun('latest-link', (dir) => {
      symlinkSync(far, join(ckpt(dir), 'step-000099'));
      pointTo('step-000099')(dir);
    });
    for (const runId of ['latest-dotdot', 'latest-abs', 'latest-link']) {
      const sentence = new RegExp(
        `Run ${runId}'s latest.json (is damaged|names step-000099, which links outside)`,
      );
      refused(await call('infer.describe', { source: { runId } }), 'no-checkpoint', sentence);
      refused(await call('export.run', { runId, precision: 'fp32' }), 'no-checkpoint', sentence);
      refused(await call('insight.depth', { runId }), 'no-checkpoint', sentence);
    }
    outsideUntouched();
  });

  it('refuses a blob whose file leaves its checkpoint folder', async () => {
    plantRun('blob-dotdot', (dir) =>
      editCheckpoint(dir, (meta) => {
        const blobs = meta.blobs as Record<string, { file: string }>;
        for (const b of Object.values(blobs)) b.file = '../../../../outside/secret.txt';
      }),
    );
    refused(
      await call('infer.describe', { source: { runId: 'blob-dotdot' } }),
      'load-failed',
      /file name inside its folder/,
    );
    refused(
      await call('export.run', { runId: 'blob-dotdot', precision: 'fp32' }),
      'no-checkpoint',
      /not a file in its folder: the checkpoint is damaged/,
    );
    outsideUntouched();
  });

  it("refuses a checkpoint's recorded data path or tokenizerFile outside the workspace", async () => {
    const specs = {
      'spec-path': { type: 'text', path: '../outside/secret.txt', length: 9 },
      'spec-abs': { type: 'text', path: secret, length: 9 },
      'spec-tok': {
        type: 'corpus',
        tokenizer: 'bpe',
        vocabSize: 300,
        tokenizerFile: join(outside, 'sentinel', 'tokenizer.json'),
        length: 9,
      },
    };
    for (const [runId, dataSpec] of Object.entries(specs)) {
      plantRun(runId, (dir) => editCheckpoint(dir, (meta) => (meta.dataSpec = dataSpec)));
      const sentence = new RegExp(
        `Run ${runId}'s checkpoint names the (data|tokenizer) file .* outside the workspace`,
      );
      refused(await call('infer.describe', { source: { runId } }), 'outside-workspace', sentence);
      refused(
        await call('export.run', { runId, precision: 'fp32' }),
        'outside-workspace',
        sentence,
      );
      refused(await call('insight.depth', { runId }), 'outside-workspace', sentence);
    }
    outsideUntouched();
  });

  it('says which step a latest.json names that is missing, in a sentence', async () => {
    plantRun('missing-step', (dir) =>
      writeFileSync(
        join(ckpt(dir), 'latest.json'),
        JSON.stringify({ checkpoint: 'step-000040', step: 40 }),
      ),
    );
    const sentence = /Run missing-step's latest.json names step-000040, which is missing; /;
    refused(
      await call('infer.describe', { source: { runId: 'missing-step' } }),
      'no-checkpoint',
      sentence,
    );
    refused(
      await call('export.run', { runId: 'missing-step', precision: 'fp32' }),
      'no-checkpoint',
      sentence,
    );
    refused(await call('insight.depth', { runId: 'missing-step' }), 'no-checkpoint', sentence);
  });

  it('reads run.json, latest.json and checkpoint.json that start with a byte-order mark', async () => {
    const dir = plantRun('bom-run', (d) => {
      for (const file of [
        join(d, 'run.json'),
        join(ckpt(d), 'latest.json'),
        join(ckpt(d), stepOf(d), 'checkpoint.json'),
      ]) {
        writeFileSync(file, `\uFEFF${readFileSync(file, 'utf8')}`);
      }
    });
    const listed = await ok<RunSummary[]>('runs.list', {});
    assert.ok(listed.some((r) => r.runId === 'bom-run' && r.dir === dir));
    // The model loads through both files (a copy-task GPT then has nothing to play with).
    const loaded = errorOf(await call('infer.describe', { source: { runId: 'bom-run' } }));
    assert.equal(loaded.code, 'not-playable', loaded.message);
    assert.match(loaded.message, /Tiny GPT answers copy/);
  });

  it('lists a run by the folder it is in, not the dir its planted run.json names', async () => {
    const dir = plantRun('dir-planted', (d) => {
      const s = JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as RunSummary;
      writeFileSync(join(d, 'run.json'), JSON.stringify({ ...s, dir: outside }));
    });
    const listed = await ok<RunSummary[]>('runs.list', {});
    assert.equal(listed.find((r) => r.runId === 'dir-planted')?.dir, dir);
    outsideUntouched();
  });
});

describe('playground sources', () => {
  it('does not list ONNX files in an exports folder linked outside the workspace', async () => {
    writeFileSync(join(outside, 'sentinel', 'far.onnx'), 'not a model');
    before0 = snapshot(outside);
    symlinkSync(join(outside, 'sentinel'), join(workspace, 'exports'));
    const { onnx } = await ok<{ onnx: { name: string }[] }>('infer.sources', {});
    assert.ok(!onnx.some((f) => f.name.includes('far.onnx')), JSON.stringify(onnx));
    refused(
      await call('infer.describe', { source: { onnxPath: 'exports/far.onnx' } }),
      'bad-source',
      /is not an ONNX export in the workspace/,
    );
    outsideUntouched();
  });
});

describe('documents that are not regular files', () => {
  it('refuses FIFOs named *.json without hanging, even five at once', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'].map((n) => `fifo-${n}.json`);
    for (const n of names) mkfifo(join(workspace, n));
    const replies = await within(
      5000,
      Promise.all(names.map((path) => call('document.open', { path }))),
    );
    for (const r of replies)
      refused(r, 'not-a-file', /is a pipe, socket or device, not a document/);
    // The thread pool is still free: a real document opens.
    await ok('document.save', { path: 'real.json', doc });
    await within(5000, ok('document.open', { path: 'real.json' }));
    // Saving over a FIFO with a version reads it first: refused, not hung.
    refused(
      await within(5000, call('document.save', { path: names[0], doc, version: 'v1:0:0:x' })),
      'not-a-file',
    );
  });

  it('lists documents past dangling links, folders and FIFOs named *.json', async () => {
    symlinkSync(join(root, 'gone.json'), join(workspace, 'dangling.json'));
    mkdirSync(join(workspace, 'folder.json'));
    await ok('document.save', { path: 'listed.json', doc });
    const list = await within(5000, ok<{ files: { name: string }[] }>('document.list', {}));
    const names = list.files.map((f) => f.name);
    assert.ok(names.includes('listed.json'));
    for (const n of ['dangling.json', 'folder.json', 'fifo-a.json'])
      assert.ok(!names.includes(n), n);
  });

  it('says a folder named like a document is a folder, naming it', async () => {
    refused(
      await call('document.open', { path: 'folder.json' }),
      'not-a-file',
      /"folder.json" is a folder, not a document/,
    );
  });

  it('opens a document saved with a byte-order mark', async () => {
    writeFileSync(join(workspace, 'bom.json'), `\uFEFF${JSON.stringify(doc)}`);
    const opened = await ok<{ doc: { name: string } }>('document.open', { path: 'bom.json' });
    assert.equal(opened.doc.name, doc.name);
  });

  it('left everything outside the workspace as it was', () => {
    outsideUntouched();
    assert.ok(service);
  });
});
