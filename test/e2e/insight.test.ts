import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  hasChromium,
  loadTemplate,
  openApp,
  runStatus,
  SKIP_REASON,
  until,
  type Session,
} from './harness.ts';

/**
 * Recursion insight in a real browser: train the 4×4 Sudoku TRM-MLP briefly, open the
 * insight from the Train panel, see accuracy by supervision step charted and tabled, and
 * scrub one puzzle from its first step to its last.
 */
describe('recursion insight (browser mode)', { skip: SKIP_REASON, timeout: 180_000 }, () => {
  let s: Session;
  before(async () => {
    if (hasChromium) s = await openApp();
  });
  after(async () => {
    await s?.close();
  });

  it('trains the Sudoku TRM briefly', async () => {
    const { page } = s;
    await page.locator('[data-template]').first().waitFor();
    await loadTemplate(page, 'trm-mlp-sudoku');
    await page.getByTestId('toggle-train').click();
    await page.getByTestId('train-panel').waitFor();
    await page.getByRole('radio', { name: 'Generated task' }).click();
    await page.getByLabel('Task').selectOption('sudoku');
    await page.locator('#task-size').selectOption('4');
    for (const [key, value] of Object.entries({
      steps: '40',
      batch: '16',
      lr: '0.003',
      warmup: '3',
      ema: '0.8',
      evalEvery: '0',
      evalExamples: '64',
      checkpointEvery: '0',
    })) {
      await page.locator(`#train-${key}`).fill(value);
    }
    // Nothing trained yet: the panel offers no insight.
    assert.equal(await page.getByTestId('train-insight').count(), 0);
    await page.getByRole('button', { name: /Start training/ }).click();
    assert.equal(await until(() => runStatus(page), 'completed', 120_000), 'completed');
  });

  it('charts accuracy by supervision step and scrubs one puzzle', async () => {
    const { page } = s;
    await page.getByTestId('train-insight').click();
    const dialog = page.getByRole('dialog', { name: 'Recursion insight' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Analyse depth' }).click();
    const chart = page.getByTestId('insight-chart');
    await chart.waitFor({ timeout: 60_000 });
    // N_sup = 4: one point per supervision step, in the chart and in the table.
    assert.equal(await chart.getAttribute('data-points'), '4');
    assert.equal(await page.locator('[data-testid="insight-chart-accuracy"] canvas').count(), 1);
    const rows = page.locator('[data-testid="depth-table"] tbody tr');
    assert.equal(await rows.count(), 4);
    assert.match((await rows.nth(3).textContent()) ?? '', /^4 \(trained\)/);
    for (let i = 0; i < 4; i++) {
      const cells = await rows.nth(i).locator('td').allTextContents();
      // step, loss, accuracy, exact, halting p, stopped by
      assert.equal(cells.length, 6);
      assert.ok(Number(cells[1]) > 0, `loss ${cells[1]}`);
      assert.match(cells[2]!, /^\d+\.\d%$/);
    }

    const label = page.getByTestId('insight-step-label');
    await label.waitFor({ timeout: 30_000 });
    const grid = () => page.locator('[data-testid="insight-grid"] [data-cell]');
    assert.equal(await grid().count(), 16);
    const slider = page.getByTestId('insight-slider');
    const text = async () => (await label.textContent()) ?? '';
    await slider.fill('1');
    await until(async () => (await text()).startsWith('Step 1 '), true);
    assert.match(await text(), /^Step 1 of 4 · halting p \d\.\d\d · \d+\/16 cells right$/);
    const first = await grid().evaluateAll((cells) => cells.map((c) => c.textContent));
    await slider.fill('4');
    await until(async () => (await text()).startsWith('Step 4 '), true);
    assert.match(
      await text(),
      /^Step 4 of 4 \(trained depth\) · halting p \d\.\d\d · \d+\/16 cells right · \d+ changed$/,
    );
    const last = await grid().evaluateAll((cells) => cells.map((c) => c.textContent));
    // Every cell shows a token of the task (a briefly trained model may still answer blank).
    for (const cells of [first, last])
      assert.ok(
        cells.every((c) => /^([1-4]|\.|<pad>)$/.test(c ?? '')),
        cells.join(' '),
      );
    const givens = await page
      .locator('[data-testid="insight-grid"] .given')
      .evaluateAll((cells) => cells.length);
    assert.ok(givens > 0 && givens < 16, `${givens} givens`);
    mkdirSync('test-results/screenshots', { recursive: true });
    await page.screenshot({ path: 'test-results/screenshots/insight.png' });
    assert.deepEqual(s.pageErrors, []);
  });

  it('opens from the header too, with the run picked', async () => {
    const { page } = s;
    await page.getByRole('dialog', { name: 'Recursion insight' }).getByLabel('Close').click();
    await page.getByTestId('open-insight').click();
    const dialog = page.getByRole('dialog', { name: 'Recursion insight' });
    await dialog.waitFor();
    await until(async () => (await dialog.getByLabel('Run').inputValue()) !== '', true, 5000);
    assert.match(
      (await dialog.getByLabel('Run').locator('option:checked').textContent()) ?? '',
      /TRM-MLP .* step 40 · \d{4}-\d\d-\d\d \d\d:\d\d$/,
    );
    // Listed as this document's run, first.
    assert.equal(await dialog.locator('optgroup[label="This document"] option').count(), 1);
    // Escape closes it (no sweep is running), like every other dialog.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it("another document's Export lists the run under other documents and starts untrained", async () => {
    const { page } = s;
    await page.getByRole('button', { name: 'Templates' }).click();
    await loadTemplate(page, 'tiny-gpt');
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Export ONNX' });
    await dialog.waitFor();
    const others = dialog.locator('optgroup[label="Other documents"] option');
    assert.equal(await until(() => others.count(), 1), 1);
    assert.equal(await dialog.locator('optgroup[label="This document"]').count(), 0);
    assert.equal(await dialog.getByLabel('Run').inputValue(), '');
    assert.match((await dialog.textContent()) ?? '', /Initial weights/);
    await page.screenshot({ path: 'test-results/screenshots/export-other-document.png' });
    await page.keyboard.press('Escape');
    assert.deepEqual(s.pageErrors, []);
  });
});
