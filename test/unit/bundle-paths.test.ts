import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BUNDLE_OPTIONS } from '../../electron/build.ts';
import { ROOT } from '../../engine/host/main.ts';

/**
 * The Electron main process runs bundled (out/electron/main.mjs), so a module that finds a
 * file beside its own source finds nothing there. Bundled the same way into a folder as deep,
 * the files the engine reads at run time must still be where they are in the tree.
 */
describe('run-time files from the bundled main process', () => {
  const out = join(ROOT, 'out', `paths-test-${process.pid}`);
  after(() => rmSync(out, { recursive: true, force: true }));

  it('finds the PyTorch engine, the native addon path and the deploy script', async () => {
    mkdirSync(out, { recursive: true });
    const entry = join(out, 'entry.ts');
    writeFileSync(
      entry,
      [
        `export { PYTHON_DIR } from ${JSON.stringify(join(ROOT, 'engine/pytorch/package.ts'))};`,
        `export { ADDON_PATH } from ${JSON.stringify(join(ROOT, 'engine/runtime/native/build.ts'))};`,
        `export { decodeScript } from ${JSON.stringify(join(ROOT, 'engine/onnx-runtime/pair-readme.ts'))};`,
      ].join('\n'),
    );
    const esbuild = await import('esbuild');
    const bundle = join(out, 'main.mjs');
    await esbuild.build({
      ...BUNDLE_OPTIONS,
      entryPoints: [entry],
      outfile: bundle,
      format: 'esm',
    });
    const m = (await import(pathToFileURL(bundle).href)) as {
      PYTHON_DIR: string;
      ADDON_PATH: string;
      decodeScript: () => string;
    };
    assert.equal(m.PYTHON_DIR, join(ROOT, 'engine/pytorch/python'));
    assert.ok(existsSync(join(m.PYTHON_DIR, 'train.py')), m.PYTHON_DIR);
    assert.equal(m.ADDON_PATH, join(ROOT, 'engine/runtime/native/build/trm_native.node'));
    assert.match(m.decodeScript(), /onnxruntime-node/);
  });
});
