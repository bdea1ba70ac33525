import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import {
  WriteError,
  writeFileAtomic,
  writeSeam,
  type WritableFile,
} from '../../engine/io/durable-write.ts';
import { errorOf, template, testService } from '../support/service-harness.ts';

// Files (issue #9, item 5): documents and the recovery file survive a full disk, a read-only
// folder, names with spaces and unicode, and another program changing the file meanwhile —
// each with a message naming the path and the next step, and never a silent loss.

const ROOT = resolve(import.meta.dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'trm files ü-'));
after(() => rmSync(root, { recursive: true, force: true }));

const original = { ...writeSeam };
afterEach(() => Object.assign(writeSeam, original));

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/** A disk that fills up halfway through the next write: half the bytes land, then ENOSPC. */
function fillDiskOnWrite(code = 'ENOSPC'): void {
  writeSeam.open = async (path, flags): Promise<WritableFile> => {
    const real = await original.open(path, flags);
    return {
      ...real,
      async write(data) {
        const bytes = typeof data === 'string' ? Buffer.from(data) : data;
        await real.write(bytes.subarray(0, bytes.byteLength >> 1));
        throw errno(code);
      },
    };
  };
}

/** Files in a folder other than `keep`: what a failed write would have left behind. */
const leftovers = (dir: string, keep: string[]) =>
  readdirSync(dir).filter((n) => !keep.includes(n));

describe('atomic writes under failure', () => {
  const dir = join(root, 'モデル dir');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'ä b.trm.json');

  for (const code of ['ENOSPC', 'EDQUOT']) {
    it(`a full disk (${code}) mid-write leaves the old file and no temp file`, async () => {
      writeFileSync(file, 'old content');
      fillDiskOnWrite(code);
      const e = await writeFileAtomic(file, 'x'.repeat(10_000), 'the document').then(
        () => assert.fail('the write should fail'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof WriteError);
      assert.equal(e.code, code);
      assert.ok(e.message.includes(file), e.message);
      assert.match(e.message, /the disk is full/);
      assert.match(e.message, /free some space/);
      assert.equal(readFileSync(file, 'utf8'), 'old content');
      assert.deepEqual(leftovers(dir, ['ä b.trm.json']), []);
    });
  }

  for (const [code, step, phrase] of [
    ['EACCES', 'open', /may not write in .*モデル dir/],
    ['EROFS', 'open', /read-only disk/],
    ['EPERM', 'rename', /may not write in/],
  ] as const) {
    it(`${code} at ${step} leaves the old file, no temp file, and says why`, async () => {
      writeFileSync(file, 'old content');
      if (step === 'open') writeSeam.open = async () => Promise.reject(errno(code));
      else writeSeam.rename = async () => Promise.reject(errno(code));
      await assert.rejects(writeFileAtomic(file, 'new'), (e: WriteError) => {
        assert.equal(e.code, code);
        assert.match(e.message, phrase);
        assert.ok(e.message.includes(file));
        return true;
      });
      assert.equal(readFileSync(file, 'utf8'), 'old content');
      assert.deepEqual(leftovers(dir, ['ä b.trm.json']), []);
    });
  }

  it('a real read-only folder (chmod 0555) refuses the write and keeps the file', async (t) => {
    const ro = join(root, 'read only ö');
    mkdirSync(ro);
    const target = join(ro, 'doc.trm.json');
    writeFileSync(target, 'old content');
    chmodSync(ro, 0o555);
    try {
      let outcome: { code: string; message: string } | null;
      if (process.getuid?.() === 0) {
        // root writes through chmod: run the same write as `nobody`, where the mode holds.
        t.diagnostic('running as root: the write runs in a child process as uid 65534');
        chmodSync(root, 0o755);
        const child = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            '-e',
            `import('./engine/io/durable-write.ts').then((m) => m.writeFileAtomic(${JSON.stringify(target)}, 'new')).then(() => console.log('null'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`,
          ],
          { cwd: ROOT, uid: 65534, gid: 65534, encoding: 'utf8' },
        );
        assert.equal(child.status, 0, child.stderr);
        outcome = JSON.parse(child.stdout.trim()) as typeof outcome;
      } else {
        outcome = await writeFileAtomic(target, 'new').then(
          () => null,
          (e: WriteError) => ({ code: e.code, message: e.message }),
        );
      }
      assert.ok(outcome, 'writing into a read-only folder must fail');
      assert.equal(outcome.code, 'EACCES');
      assert.ok(outcome.message.includes(target), outcome.message);
      assert.match(outcome.message, /choose another folder/);
      assert.equal(readFileSync(target, 'utf8'), 'old content');
      assert.deepEqual(leftovers(ro, ['doc.trm.json']), []);
    } finally {
      chmodSync(ro, 0o755);
    }
  });
});

describe('the document service: conflicts, unicode paths, full disk', () => {
  const { workspace, call, ok } = testService('files', {
    root,
    workspace: 'work space ✓',
    stateDir: 'state dir',
  });
  const doc = template('tiny-gpt');
  const renamed = (name: string) => ({ ...doc, name });
  const rel = 'モデル dir/ä b.trm.json';
  const full = join(workspace, rel);
  type Saved = { path: string; version?: string };
  type Opened = Saved & { doc: { name: string } };

  it('saves, lists and opens a document under a unicode path with spaces', async () => {
    const saved = await ok<Saved>('document.saveAs', { path: rel, doc: renamed('first') });
    assert.equal(saved.path, full);
    assert.match(saved.version ?? '', /^v1:\d+:\d+:[0-9a-f]{64}$/);
    const opened = await ok<Opened>('document.open', { path: rel });
    assert.equal(opened.doc.name, 'first');
    assert.equal(opened.version, saved.version);
    const again = await ok<Saved>('document.save', {
      path: full,
      doc: renamed('second'),
      version: opened.version,
    });
    assert.notEqual(again.version, opened.version);
    assert.equal(JSON.parse(readFileSync(full, 'utf8')).name, 'second');
  });

  it('refuses to save over a file another program changed, naming it; keeps theirs', async () => {
    const opened = await ok<Opened>('document.open', { path: rel });
    const theirs = `${JSON.stringify(renamed('edited elsewhere'), null, 2)}\n`;
    writeFileSync(full, theirs);
    const e = errorOf(
      await call('document.save', { path: rel, doc: renamed('mine'), version: opened.version }),
    );
    assert.equal(e.code, 'conflict');
    assert.ok(e.message.includes(rel), e.message);
    assert.match(e.message, /changed on disk by another program/);
    assert.match(e.message, /Reload.*Save As.*Overwrite/);
    assert.equal(readFileSync(full, 'utf8'), theirs);
    // Overwrite, as the dialog does it: a save with the version on disk now.
    const reopened = await ok<Opened>('document.open', { path: rel });
    await ok('document.save', { path: rel, doc: renamed('mine'), version: reopened.version });
    assert.equal(JSON.parse(readFileSync(full, 'utf8')).name, 'mine');
  });

  it('a touched but unchanged file, or one deleted meanwhile, is no conflict', async () => {
    const opened = await ok<Opened>('document.open', { path: rel });
    utimesSync(full, new Date(), new Date(Date.now() + 60_000));
    await ok('document.save', { path: rel, doc: renamed('after touch'), version: opened.version });
    const now = await ok<Opened>('document.open', { path: rel });
    rmSync(full);
    await ok('document.save', { path: rel, doc: renamed('recreated'), version: now.version });
    assert.equal(JSON.parse(readFileSync(full, 'utf8')).name, 'recreated');
  });

  it('a save without a version overwrites as before (older callers)', async () => {
    writeFileSync(full, `${JSON.stringify(renamed('elsewhere'))}\n`);
    await ok('document.save', { path: rel, doc: renamed('legacy') });
    assert.equal(JSON.parse(readFileSync(full, 'utf8')).name, 'legacy');
  });

  it('Save As onto an existing file asks first (exists), and replaces it when told', async () => {
    const e = errorOf(await call('document.saveAs', { path: rel, doc: renamed('clobber') }));
    assert.equal(e.code, 'exists');
    assert.ok(e.message.includes(rel));
    assert.equal(JSON.parse(readFileSync(full, 'utf8')).name, 'legacy');
    await ok('document.saveAs', { path: rel, doc: renamed('clobber'), overwrite: true });
    assert.equal(JSON.parse(readFileSync(full, 'utf8')).name, 'clobber');
  });

  it('a full disk during save keeps the document on disk and says which file', async () => {
    const before = readFileSync(full, 'utf8');
    const opened = await ok<Opened>('document.open', { path: rel });
    fillDiskOnWrite();
    const e = errorOf(
      await call('document.save', { path: rel, doc: renamed('lost?'), version: opened.version }),
    );
    assert.equal(e.code, 'write-failed');
    assert.ok(e.message.includes(full), e.message);
    assert.match(e.message, /disk is full.*Nothing there was changed/);
    assert.equal(readFileSync(full, 'utf8'), before);
    assert.deepEqual(leftovers(join(workspace, 'モデル dir'), ['ä b.trm.json']), []);
  });

  it('a full disk during autosave keeps the previous recovery file intact', async () => {
    await ok('document.autosave', { doc: renamed('recovered edit 1'), path: rel });
    fillDiskOnWrite();
    const e = errorOf(
      await call('document.autosave', { doc: renamed('recovered edit 2'), path: rel }),
    );
    assert.equal(e.code, 'write-failed');
    assert.match(e.message, /recovery file/);
    Object.assign(writeSeam, original);
    const rec = await ok<{ doc: { name: string } }>('document.recover', {});
    assert.equal(rec.doc.name, 'recovered edit 1');
    assert.deepEqual(leftovers(join(root, 'state dir'), ['recovery.json', 'recent.json']), []);
  });
});
