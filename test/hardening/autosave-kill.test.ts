import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  buildRenderer,
  CHROMIUM,
  hasChromium,
  loadTemplate,
  node,
  SKIP_REASON,
} from '../e2e/harness.ts';

// Autosave after a kill (issue #9, item 2): edits made in the designer, once the header says
// the recovery copy holds them, are all offered back after the web host is killed with
// SIGKILL. Then a save over a file another program changed meanwhile is refused with the
// Overwrite / Save As / Reload dialog instead of replacing their version silently.

const ROOT = resolve(import.meta.dirname, '../..');

/** The web host as its own process (`npm run serve`), so it can be killed like a crash. */
async function startHost(workspace: string): Promise<{ child: ChildProcess; url: string }> {
  const staticDir = await buildRenderer();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'engine/host/main.ts',
      '--port',
      '0',
      '--workspace',
      workspace,
      '--static',
      staticDir,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`host did not start: ${stderr}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /https?:\/\/\S+/.exec(line);
      if (m) {
        clearTimeout(timer);
        done(m[0]);
      }
    });
    child.on('exit', (code) => fail(new Error(`host exited (${code}): ${stderr}`)));
  });
  return { child, url };
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    child.on('exit', () => done());
    child.kill('SIGKILL');
  });
}

describe('autosave survives SIGKILL of the app', { skip: SKIP_REASON, timeout: 180_000 }, () => {
  const workspace = mkdtempSync(join(tmpdir(), 'trm kill ✓-'));
  let browser: Browser;
  let page: Page;
  let host: { child: ChildProcess; url: string } | undefined;

  before(async () => {
    if (!hasChromium) return;
    await buildRenderer();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await browser?.close();
    if (host && host.child.exitCode === null) await killHard(host.child);
    rmSync(workspace, { recursive: true, force: true });
  });

  const dimInput = (name: string) => page.getByLabel(`Value of dim ${name}`, { exact: true });

  it('restores every edit once the header says the recovery copy is on disk', async () => {
    host = await startHost(workspace);
    await page.goto(host.url);
    await loadTemplate(page, 'tiny-gpt');

    // 1. rename the document
    const name = page.getByLabel('Document name');
    await name.fill('kill test ü');
    await name.press('Enter');
    // 2. change a dim
    const width = dimInput('D');
    await width.fill('64');
    await width.press('Tab');
    // 3. add a node from the palette
    const pane = page.locator('.react-flow__pane');
    const box = await pane.boundingBox();
    assert.ok(box);
    await page
      .locator('.palette-item[data-kind="rms-norm"]')
      .dragTo(pane, { targetPosition: { x: 160, y: box.height - 200 } });
    await node(page, 'rms_norm').waitFor();
    // 4. edit a parameter of an existing node — the last edit, a second before the kill
    await node(page, 'ln_f').locator('.trm-node-title').click();
    const eps = page.locator('#param-eps');
    await eps.fill('0.001');
    await eps.press('Enter');
    // The header says when the recovery copy holds the last edit; pulling the plug then loses
    // nothing (before, the test slept a second, which a loaded machine sometimes outran).
    const marker = page.locator('[data-testid="dirty-marker"][data-recovery="saved"]');
    await marker.waitFor();
    assert.match((await marker.getAttribute('title')) ?? '', /recovery copy is on disk/);
    await killHard(host.child);

    host = await startHost(workspace);
    await page.goto(host.url);
    const banner = page.getByTestId('recovery');
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', /kill test ü/);
    await banner.getByRole('button', { name: 'Restore' }).click();
    await node(page, 'rms_norm').waitFor();
    assert.equal(await page.getByTestId('doc-name').textContent(), 'kill test ü');
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    assert.equal(await dimInput('D').inputValue(), '64');
    await node(page, 'ln_f').locator('.trm-node-title').click();
    assert.equal(Number(await page.locator('#param-eps').inputValue()), 0.001);
    assert.ok(await page.getByTestId('dirty-marker').isVisible(), 'restored work is unsaved');
  });

  it('a save over a file changed on disk asks: Overwrite replaces it with this document', async () => {
    // Save the restored work as a file, then let "another program" rewrite it.
    await page.keyboard.press('Control+s');
    const fileName = page.getByLabel('File name');
    await fileName.fill('shared model');
    await fileName.press('Enter');
    await page.getByTestId('dirty-marker').waitFor({ state: 'detached' });
    const file = join(workspace, 'shared model.trm.json');
    const theirs = JSON.parse(readFileSync(file, 'utf8')) as { name: string };
    theirs.name = 'changed by another program';
    writeFileSync(file, JSON.stringify(theirs));

    const name = page.getByLabel('Document name');
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await name.fill('my version');
    await name.press('Enter');
    await page.keyboard.press('Control+s');
    const message = page.getByTestId('conflict-message');
    await message.waitFor();
    assert.match((await message.textContent()) ?? '', /shared model\.trm\.json.*changed on disk/);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).name, 'changed by another program');
    for (const label of ['Save As…', 'Reload from disk'])
      assert.ok(await page.getByRole('button', { name: label }).isVisible(), label);
    await page.getByRole('button', { name: 'Overwrite' }).click();
    await page.getByTestId('dirty-marker').waitFor({ state: 'detached' });
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).name, 'my version');

    // Save As onto that name again is refused until Overwrite is chosen.
    await page.keyboard.press('Control+Shift+s');
    await page.getByLabel('File name').fill('shared model');
    await page.getByLabel('File name').press('Enter');
    await page.getByTestId('conflict-message').filter({ hasText: 'already exists' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
  });
});
