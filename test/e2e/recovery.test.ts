import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { loadTemplate, node, openApp, SKIP_REASON, type Session } from './harness.ts';

/**
 * The restore banner after the app closed on unsaved work: its date in the app's one format,
 * and Discard after another document was opened leaves that document in front (no template
 * chooser over it).
 */
describe('restore banner (browser mode)', { skip: SKIP_REASON, timeout: 60_000 }, () => {
  let s: Session;
  before(async () => {
    s = await openApp();
    mkdirSync('test-results/screenshots', { recursive: true });
  });
  after(async () => s?.close());

  it('discarding the kept work keeps the document opened meanwhile', async () => {
    const { page } = s;
    await loadTemplate(page, 'tiny-gpt');
    // An edit, autosaved (the header says so), then the window goes away without saving.
    await page.getByLabel('New dim name').fill('K');
    await page.getByLabel('New dim value').fill('3');
    await page.getByLabel('New dim value').press('Enter');
    await page.locator('[data-testid="dirty-marker"][data-recovery="saved"]').waitFor();
    await page.reload();
    const banner = page.getByTestId('recovery');
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', / from \d{4}-\d\d-\d\d \d\d:\d\d was kept/);
    assert.equal(await page.locator('.modal-backdrop').count(), 0);

    await page.getByRole('button', { name: 'Templates' }).click();
    await loadTemplate(page, 'trm-mlp-sudoku');
    await banner.getByRole('button', { name: 'Discard' }).click();
    await banner.waitFor({ state: 'detached' });
    await page.waitForTimeout(300);
    assert.equal(await page.locator('.modal-backdrop').count(), 0, 'no chooser over it');
    await node(page, 'supervise').waitFor();
    await page.screenshot({ path: 'test-results/screenshots/recovery-discarded.png' });
  });

  it('discarding on the empty canvas the app opened on offers the templates', async () => {
    const { page } = s;
    await page.getByLabel('New dim name').fill('Q');
    await page.getByLabel('New dim value').fill('2');
    await page.getByLabel('New dim value').press('Enter');
    await page.locator('[data-testid="dirty-marker"][data-recovery="saved"]').waitFor();
    await page.reload();
    await page.getByTestId('recovery').getByRole('button', { name: 'Discard' }).click();
    await page.locator('[data-template]').first().waitFor();
    assert.deepEqual(
      s.pageErrors.filter((e) => !/beforeunload/i.test(e)),
      [],
    );
  });
});
