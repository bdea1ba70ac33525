import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Reply } from '../../../engine/contract/api.ts';
import { testService } from '../../support/service-harness.ts';

// `files.reveal` in the web host: it cannot open a desktop folder, so it returns the folder of
// a file the app wrote in the workspace; anything outside the workspace is refused, and a
// refusal does not tell whether the outside file exists.

const { root, workspace, call } = testService('reveal');
const outside = join(root, 'outside');
mkdirSync(join(workspace, 'runs', 'r1', 'exports'), { recursive: true });
mkdirSync(outside, { recursive: true });
const model = join(workspace, 'runs', 'r1', 'exports', 'tiny.int8.onnx');
writeFileSync(model, 'onnx');
writeFileSync(join(outside, 'secret.onnx'), 'secret');
symlinkSync(outside, join(workspace, 'linked'));

const reveal = (path: unknown): Promise<Reply> => call('files.reveal', { path });

describe('files.reveal', () => {
  it('returns the folder of an export in the workspace, by absolute or relative path', async () => {
    for (const path of [model, 'runs/r1/exports/tiny.int8.onnx']) {
      const r = await reveal(path);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.result, {
        folder: join(workspace, 'runs', 'r1', 'exports'),
        shown: false,
      });
    }
  });

  it('refuses paths outside the workspace, existing or not, with the same code', async () => {
    for (const path of [
      join(outside, 'secret.onnx'),
      join(outside, 'missing.onnx'),
      '../outside/secret.onnx',
      'linked/secret.onnx',
      '/etc/hostname',
    ]) {
      const r = await reveal(path);
      assert.equal(r.ok, false, `${path} was revealed`);
      if (!r.ok) {
        assert.equal(r.error.code, 'outside-workspace', `${path}: ${r.error.message}`);
        assert.match(r.error.message, /outside the workspace/);
      }
    }
  });

  it('says when the file is gone, and refuses control characters and malformed params', async () => {
    const gone = await reveal('runs/r1/exports/deleted.onnx');
    assert.equal(gone.ok, false);
    if (!gone.ok) assert.match(gone.error.message, /does not exist .* export it again/);
    const folder = await reveal('runs/r1/exports');
    assert.equal(folder.ok, false, 'a folder is not a file');
    const nul = await reveal('runs/r1\0/x.onnx');
    assert.equal(nul.ok, false);
    if (!nul.ok) assert.equal(nul.error.code, 'bad-path');
    const bad = await reveal(42);
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.equal(bad.error.code, 'bad-params');
  });
});
