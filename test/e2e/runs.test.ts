import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RunSummary } from '../../engine/contract/api.ts';
import {
  hasChromium,
  loadTemplate,
  node,
  openApp,
  runStatus,
  SKIP_REASON,
  until,
  type Session,
} from './harness.ts';

/**
 * Runs comparison as a person does it: train tiny-gpt briefly, halve its FFN ratio inside the
 * `block` component, train again, then open Runs, tick both runs and read the overlaid
 * curves and the graph diff naming the edit beside the metric differences.
 */
describe('runs comparison (browser mode)', { skip: SKIP_REASON, timeout: 240_000 }, () => {
  let s: Session;
  before(async () => {
    if (hasChromium) s = await openApp();
  });
  after(async () => {
    await s?.close();
  });

  const runsDir = () => join(s.workspace, 'runs');
  const runIds = () => (existsSync(runsDir()) ? readdirSync(runsDir()).sort() : []);
  const savedStatus = (id: string) => {
    try {
      return (JSON.parse(readFileSync(join(runsDir(), id, 'run.json'), 'utf8')) as RunSummary)
        .status;
    } catch {
      return 'unreadable';
    }
  };

  /** Start a short run from the Train panel and wait until it completes and is recorded. */
  async function trainBriefly(page: Page): Promise<void> {
    const before = runIds();
    await page.getByRole('button', { name: /Start training/ }).click();
    // The new run's folder appears, then the panel follows it to the end (the previous run
    // also read "completed", so the folder is what says this one started).
    assert.equal(
      await until(async () => runIds().length, before.length + 1, 20_000),
      before.length + 1,
    );
    const id = runIds().find((x) => !before.includes(x))!;
    assert.equal(await until(async () => savedStatus(id), 'completed', 90_000), 'completed');
    assert.equal(await until(() => runStatus(page), 'completed'), 'completed');
  }

  it('records two runs of tiny-gpt that differ in one edit', async () => {
    const { page } = s;
    await page.locator('[data-template]').first().waitFor();
    await loadTemplate(page, 'tiny-gpt');
    await page.getByTestId('toggle-train').click();
    await page.getByTestId('train-panel').waitFor();
    for (const [key, value] of Object.entries({
      batch: '4',
      steps: '6',
      evalEvery: '3',
      evalExamples: '8',
      checkpointEvery: '0',
      warmup: '2',
    })) {
      await page.locator(`#train-${key}`).fill(value);
    }
    await trainBriefly(page);
    // The edit: the FFN inside the `block` component, hidden width 4·D → 2·D.
    await node(page, 'block1').locator('.trm-node-title').dblclick();
    await node(page, 'ffn').locator('.trm-node-title').click();
    const ratio = page.locator('#param-ratio');
    await ratio.fill('2');
    await ratio.press('Enter');
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 300 } });
    await trainBriefly(page);
    assert.equal(readdirSync(join(s.workspace, 'runs')).length, 2);
  });

  it('opens Runs with R, overlays both curves and shows the graph diff beside the metrics', async () => {
    const { page } = s;
    await page.getByTestId('toggle-train').click();
    await page.keyboard.press('r');
    const view = page.getByTestId('runs-view');
    await view.waitFor();
    const rows = page.locator('[data-testid="runs-table"] tbody tr');
    assert.equal(await until(() => rows.count(), 2), 2);
    assert.match((await rows.first().textContent()) ?? '', /completed/);

    // Sorting by parameters puts the halved model first; clicking again reverses it.
    const params = page.getByRole('button', { name: /^Params/ });
    await params.click();
    const firstParams = () => rows.first().locator('td').nth(9).textContent();
    assert.equal(await until(firstParams, '283.9k'), '283.9k');
    await params.click();
    assert.equal(await until(firstParams, '415.0k'), '415.0k');

    for (const box of await page.getByRole('checkbox', { name: /^Compare / }).all())
      await box.check();
    const legend = page.locator('[data-testid="runs-chart-loss"] .chart-key');
    assert.equal(await until(() => legend.count(), 2, 20_000), 2);
    const labels = await legend.allTextContents();
    const ids = readdirSync(join(s.workspace, 'runs')).sort();
    for (const id of ids) {
      assert.ok(
        labels.some((l) => l.endsWith(id.replace(/^\d{8}-/, ''))),
        `${id} in ${labels}`,
      );
    }
    // Both curves were drawn: the validation chart has points from both runs.
    assert.equal(await page.locator('[data-testid="runs-chart-val-loss"] .chart-key').count(), 2);

    const diff = page.getByTestId('graph-diff');
    await diff.waitFor();
    const diffText = (await diff.textContent()) ?? '';
    // W1 [128, 512→256] and W2 [512→256, 128] in each of the two unshared blocks.
    assert.match(diffText, /block\/ffn\.ratio 4 → 2 \(−65,536 params\)/);
    assert.match(diffText, /total 414,976 → 283,904 params \(−131,072\)/);
    const metrics = (await page.getByTestId('metric-diff').textContent()) ?? '';
    assert.match(metrics, /Parameters414,976283,904−131,072/);
    assert.match(metrics, /Final loss\d\.\d{4}\d\.\d{4}[+−±]\d\.\d{4}/);
    assert.match(metrics, /Best validation loss\d\.\d{4}\d\.\d{4}/);

    mkdirSync('test-results/screenshots', { recursive: true });
    await page.waitForTimeout(200);
    await page.screenshot({ path: 'test-results/screenshots/runs-compare.png', fullPage: true });
  });

  it('deletes a run after a confirmation, removing its folder', async () => {
    const { page } = s;
    const rows = page.locator('[data-testid="runs-table"] tbody tr');
    const victim = (await rows.first().getAttribute('data-run')) ?? '';
    // The harness accepts the confirm dialog, as a person pressing OK.
    await rows.first().getByRole('button', { name: 'Delete' }).click();
    assert.equal(await until(() => rows.count(), 1), 1);
    assert.ok(!existsSync(join(s.workspace, 'runs', victim)));
    assert.equal(readdirSync(join(s.workspace, 'runs')).length, 1);
    await page.keyboard.press('Escape');
    await page.getByTestId('runs-view').waitFor({ state: 'detached' });
    assert.deepEqual(s.pageErrors, []);
  });
});
