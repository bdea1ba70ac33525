import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RunSummary } from '../../engine/contract/api.ts';
import {
  hasChromium,
  node,
  openApp,
  openTrainPanel,
  runStatus,
  SKIP_REASON,
  until,
  type Session,
} from './harness.ts';

/**
 * Fine-tuning as a person does it: train tiny-gpt briefly, halve the FFN inside `block`, pick
 * the first run under "Start from…" with one of its checkpoints, freeze the embedding, train
 * again; the panel says how many weights mapped and which started afresh, and Runs shows
 * where the new run came from.
 */
describe('fine-tuning from a run (browser mode)', { skip: SKIP_REASON, timeout: 240_000 }, () => {
  let s: Session;
  before(async () => {
    if (hasChromium) s = await openApp();
  });
  after(async () => {
    await s?.close();
  });

  const runsDir = () => join(s.workspace, 'runs');
  const runIds = () => (existsSync(runsDir()) ? readdirSync(runsDir()).sort() : []);
  const summary = (id: string): RunSummary | null => {
    try {
      return JSON.parse(readFileSync(join(runsDir(), id, 'run.json'), 'utf8')) as RunSummary;
    } catch {
      return null;
    }
  };

  async function trainBriefly(page: Page): Promise<string> {
    const before = runIds();
    await page.getByRole('button', { name: /Start training/ }).click();
    assert.equal(
      await until(async () => runIds().length, before.length + 1, 20_000),
      before.length + 1,
    );
    const id = runIds().find((x) => !before.includes(x))!;
    assert.equal(
      await until(async () => summary(id)?.status, 'completed', 90_000),
      'completed',
      summary(id)?.message ?? '',
    );
    assert.equal(await until(() => runStatus(page), 'completed'), 'completed');
    return id;
  }

  it('starts a changed graph from a checkpoint of an earlier run and lists what mapped', async () => {
    const { page } = s;
    await openTrainPanel(page, 'tiny-gpt', {
      batch: '4',
      steps: '4',
      evalEvery: '0',
      evalExamples: '8',
      checkpointEvery: '2',
      warmup: '1',
    });
    const first = await trainBriefly(page);
    assert.equal(await page.getByTestId('init-summary').count(), 0);

    await node(page, 'block1').locator('.trm-node-title').dblclick();
    await node(page, 'ffn').locator('.trm-node-title').click();
    const ratio = page.locator('#param-ratio');
    await ratio.fill('2');
    await ratio.press('Enter');
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 300 } });

    const picker = page.getByTestId('start-from');
    await picker.getByLabel('Run').selectOption(first);
    const checkpoint = picker.getByLabel('Checkpoint');
    await until(() => checkpoint.locator('option').count(), 3);
    assert.deepEqual(await checkpoint.locator('option').allTextContents(), [
      'Latest checkpoint',
      'step 4',
      'step 2',
    ]);
    await checkpoint.selectOption('step-000002');
    mkdirSync('test-results/screenshots', { recursive: true });
    await picker.screenshot({ path: 'test-results/screenshots/fine-tune-picker.png' });
    await page.locator('#train-freeze').fill('["embed"]');
    const second = await trainBriefly(page);

    const panel = page.getByTestId('init-summary');
    await panel.waitFor();
    const text = (await panel.textContent()) ?? '';
    assert.match(text, new RegExp(`Started from ${first} at step 2: 20 weights mapped`));
    assert.match(
      text,
      /4 initialised afresh \(block1\/ffn\/w1, block1\/ffn\/w2, block2\/ffn\/w1, block2\/ffn\/w2\)\./,
    );
    assert.deepEqual(summary(second)?.initFrom, {
      run: first,
      step: 2,
      mapped: 20,
      initialised: 4,
    });
    await page.screenshot({ path: 'test-results/screenshots/fine-tune-panel.png' });

    await page.getByTestId('toggle-train').click();
    await page.keyboard.press('r');
    await page.getByTestId('runs-view').waitFor();
    const row = page.locator(`[data-testid="runs-table"] tbody tr[data-run="${second}"]`);
    assert.match((await row.textContent()) ?? '', new RegExp(`from ${first} step 2`));
    await page.waitForTimeout(200);
    await page.screenshot({ path: 'test-results/screenshots/fine-tune-runs.png' });
    assert.deepEqual(s.pageErrors, []);
  });
});
