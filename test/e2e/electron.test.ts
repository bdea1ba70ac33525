import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bundleElectron, installedElectron, MAIN, OUT } from '../../electron/build.ts';
import { ROOT } from '../../engine/host/main.ts';

const binary = installedElectron();

/** Runs only where Electron's binary exists (it downloads on first use; CI cannot). */
describe(
  'Electron shell',
  { skip: binary ? false : 'skipped: no Electron binary', timeout: 90_000 },
  () => {
    it('opens the designer in a sandboxed window with the preload bridge and nothing else', async () => {
      const { _electron } = await import('playwright-core');
      await bundleElectron();
      const home = mkdtempSync(join(tmpdir(), 'trm-electron-'));
      const app = await _electron.launch({
        executablePath: binary,
        args: [MAIN, `--user-data-dir=${home}`],
        env: { ...process.env, TRM_ROOT: ROOT, HOME: home },
      });
      try {
        const page = await app.firstWindow();
        await page.locator('[data-template]').first().waitFor();
        const exposed = await page.evaluate(() => {
          const w = globalThis as unknown as { trm?: object; require?: unknown; process?: unknown };
          return {
            bridge: Object.keys(w.trm ?? {}).sort(),
            require: typeof w.require,
            process: typeof w.process,
          };
        });
        assert.deepEqual(exposed, {
          bridge: ['call', 'onEvent'],
          require: 'undefined',
          process: 'undefined',
        });
        await page.locator('[data-template="trm-sudoku"]').click();
        await page.locator('.react-flow__node[data-id="supervise"]').waitFor();
      } finally {
        await app.close();
        rmSync(home, { recursive: true, force: true });
      }
    });
  },
);

describe('Electron bundles', () => {
  it('main and a small preload bundle without the binary', async () => {
    await bundleElectron();
    const preload = readFileSync(join(OUT, 'preload.cjs'), 'utf8');
    assert.match(preload, /exposeInMainWorld\("trm"/);
    assert.ok(
      preload.length < 4000,
      `preload is ${preload.length} bytes: it must not pull in the engine`,
    );
    const main = readFileSync(MAIN, 'utf8');
    for (const flag of ['contextIsolation: true', 'sandbox: true', 'nodeIntegration: false']) {
      assert.ok(main.includes(flag), flag);
    }
  });
});
