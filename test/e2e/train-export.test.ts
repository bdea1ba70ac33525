import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
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
 * Train and export from the app in a real browser: tiny-gpt on the built-in corpus, live
 * progress and charts, pause / resume, a reload that re-attaches to the run still training
 * in the engine, stop, then an int8 export with its verification table.
 */
describe('train and export (browser mode)', { skip: SKIP_REASON, timeout: 150_000 }, () => {
  let s: Session;
  before(async () => {
    if (hasChromium) s = await openApp();
  });
  after(async () => {
    await s?.close();
  });

  const stepOf = async (page: Page) => {
    const text = (await page.getByTestId('progress-step').textContent()) ?? '';
    return Number(/step (\d+)/.exec(text)?.[1] ?? NaN);
  };
  /** Waits until the shown step passes `n`. */
  const pastStep = async (page: Page, n: number) => {
    await until(async () => (await stepOf(page)) > n, true, 30_000);
    const step = await stepOf(page);
    assert.ok(step > n, `still at step ${step}, expected more than ${n}`);
    return step;
  };
  const lossPixels = (page: Page) =>
    page
      .locator('[data-testid="chart-loss"] canvas')
      .evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());

  it('trains tiny-gpt on the built-in corpus with live progress and charts', async () => {
    const { page } = s;
    await page.locator('[data-template]').first().waitFor();
    await loadTemplate(page, 'tiny-gpt');
    await page.getByTestId('toggle-train').click();
    const panel = page.getByTestId('train-panel');
    await panel.waitFor();
    // The trainer's settings come from its schema: defaults as placeholders, help beside them.
    assert.equal(await page.locator('#train-batch').getAttribute('placeholder'), '32');
    assert.match((await panel.textContent()) ?? '', /Peak learning rate\./);
    assert.equal(await page.getByLabel('Corpus').inputValue(), 'brown');
    for (const [key, value] of Object.entries({
      batch: '4',
      steps: '400',
      evalEvery: '10',
      evalExamples: '8',
      checkpointEvery: '0',
      warmup: '5',
    })) {
      await page.locator(`#train-${key}`).fill(value);
    }
    // A data file that is not there is refused with a sentence naming the fix.
    await page.getByRole('radio', { name: 'Text file' }).click();
    await page.getByLabel('Text file').fill('notes.txt');
    await page.getByRole('button', { name: /Start training/ }).click();
    assert.match(
      (await page.getByTestId('train-error').textContent()) ?? '',
      /"notes.txt" does not exist in the workspace .*; put a text file there/,
    );
    await page.getByRole('radio', { name: 'Built-in corpus' }).click();
    const blank = await lossPixels(page);
    await page.getByRole('button', { name: /Start training/ }).click();
    await page
      .getByTestId('backend')
      .filter({ hasText: /CPU|GPU/ })
      .waitFor({ timeout: 30_000 });
    assert.match((await page.getByTestId('backend').textContent()) ?? '', /(CPU|GPU) · \w/);
    const first = await pastStep(page, 3);
    assert.match((await page.getByTestId('progress-step').textContent()) ?? '', /\/ 400$/);
    assert.match(
      (await page.getByTestId('tokens-per-sec').textContent()) ?? '',
      /^[\d,]+ tokens\/s$/,
    );
    assert.match((await page.getByTestId('eta').textContent()) ?? '', /ETA \d/);
    await pastStep(page, first + 10);
    assert.notEqual(await lossPixels(page), blank, 'the loss chart drew the curve');
    mkdirSync('test-results/screenshots', { recursive: true });
    await page.locator('.train-settings').evaluate((e) => e.scrollTo(0, 0));
    await page.screenshot({ path: 'test-results/screenshots/train-panel.png' });
  });

  it('pauses and resumes', async () => {
    const { page } = s;
    await page.getByRole('button', { name: 'Pause' }).click();
    assert.equal(await until(() => runStatus(page), 'paused', 10_000), 'paused');
    const held = await stepOf(page);
    await page.waitForTimeout(400);
    assert.equal(await stepOf(page), held, 'no steps while paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    assert.equal(await until(() => runStatus(page), 'running', 10_000), 'running');
    await pastStep(page, held);
  });

  it('re-attaches to the run after the window reloads', async () => {
    const { page } = s;
    const before = await stepOf(page);
    await page.reload();
    // The panel opens itself on the run still training in the engine, curves included.
    await page.getByTestId('train-panel').waitFor();
    assert.equal(await until(() => runStatus(page), 'running', 10_000), 'running');
    assert.ok((await stepOf(page)) >= before);
    await pastStep(page, before + 1);
    // The designer starts afresh (nothing was edited, so nothing to recover): reopen the model.
    // The gallery mounts after the reload settles: wait for it rather than sampling once
    // (a gallery opening after the check covered the Stop button in CI).
    const gallery = await page
      .locator('[data-template]')
      .first()
      .waitFor({ timeout: 10_000 })
      .then(() => true)
      .catch(() => false);
    if (gallery) await loadTemplate(page, 'tiny-gpt');
  });

  it('stops with a checkpoint recorded in the run folder', async () => {
    const { page } = s;
    await page.getByRole('button', { name: 'Stop' }).click();
    assert.equal(await until(() => runStatus(page), 'stopped', 20_000), 'stopped');
    const runs = readdirSync(join(s.workspace, 'runs'));
    assert.equal(runs.length, 1);
    const dir = join(s.workspace, 'runs', runs[0]!);
    const read = () =>
      JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
        status: string;
        step: number;
        lastCheckpoint: string;
      };
    // run.json is rewritten once the worker has exited, a moment after the window hears of it.
    assert.equal(await until(async () => read().status, 'stopped'), 'stopped');
    const run = read();
    assert.equal(run.step, await stepOf(page));
    assert.ok(existsSync(join(run.lastCheckpoint, 'checkpoint.json')));
    const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
    assert.ok(metrics.includes('"type":"eval"'), 'validation was recorded');
  });

  it('exports int8 and shows the verification table', async () => {
    const { page } = s;
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export ONNX' });
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /Trained weights of run/);
    // fp32 first, then int8: the table sets the exports side by side.
    await dialog.getByText('exact, largest').click();
    await dialog.getByRole('button', { name: 'Export fp32' }).click();
    const table = page.getByTestId('verify-table');
    await table.waitFor({ timeout: 60_000 });
    await dialog.getByText('weights and activations').click();
    await dialog.getByRole('button', { name: 'Export int8' }).click();
    const heads = table.locator('thead th');
    assert.equal(await until(() => heads.count(), 3, 60_000), 3);
    assert.deepEqual(await heads.allTextContents(), ['', 'fp32', 'int8']);
    const text = (await table.textContent()) ?? '';
    // fp32 matches the reference; int8 of a barely trained model may miss a threshold, and then
    // the dialog says which one in a sentence.
    assert.match(text, /Verdict✓ pass(✓ pass|✗ fail)/);
    if (text.includes('✗ fail')) {
      assert.match((await page.getByTestId('verify-failures').textContent()) ?? '', /int8: \w/);
    }
    assert.match(text, /Top-1 agreement\d+\.\d%/);
    // Random-input and held-out top-1 are two figures here, each in its row.
    assert.match(text, /Top-1, held-out\d+\.\d%\d+\.\d%/);
    assert.match(text, /Latency, batch 1\d+\.\d\d ms/);
    // The task check: Brown validation perplexity, tfjs → onnx, and its change per export.
    assert.match(text, /Task \(tfjs → onnx\)ppl \d+\.\d\d → \d+\.\d\dppl \d+\.\d\d → \d+\.\d\d/);
    // A trained language model's verdict is decided by its task metric, and says so.
    assert.deepEqual(await table.getByTestId('judged-by').allTextContents(), [
      'task metric',
      'task metric',
    ]);
    const deltas = await table.getByTestId('task-delta').allTextContents();
    assert.equal(deltas.length, 2);
    for (const d of deltas) assert.match(d, /^[+−]\d+\.\d\d%$/);
    const snippet = page.getByTestId('snippet');
    const node = (await snippet.textContent()) ?? '';
    assert.match(node, /InferenceSession\.create\(".*[\\/]onnx[\\/]model_int8\.onnx"\)/);
    // The snippet feeds the model's real input by name and shape, in Node and in Python.
    assert.match(
      node,
      /"input_ids": new ort\.Tensor\('int64', new BigInt64Array\(8\)\.fill\(1n\), \[1,8\]\)/,
    );
    assert.match(
      node,
      /console\.log\("logits", out\["logits"\]\.dims\); \/\/ \[batch_size, sequence_length, 96\]/,
    );
    await dialog.getByRole('button', { name: 'Python' }).click();
    assert.match(
      (await snippet.textContent()) ?? '',
      /"input_ids": np\.ones\(\(1, 8\), dtype=np\.int64\)/,
    );
    // The web host cannot open a desktop folder: it shows the export's folder to copy.
    await dialog.getByRole('button', { name: 'Open containing folder' }).click();
    const folder = (await page.getByTestId('export-folder').textContent()) ?? '';
    assert.match(folder, /[\\/]runs[\\/][^\\/]+[\\/]exports[\\/]Tiny-GPT-full[\\/]onnx$/);
    assert.ok(folder.startsWith(s.workspace), `${folder} is not in ${s.workspace}`);
    // A model folder a deployment uses alone: the int8 model, its config, tokenizer and card.
    const model = readdirSync(join(s.workspace, 'runs'))
      .map((r) => join(s.workspace, 'runs', r, 'exports', 'Tiny-GPT-full'))
      .find(existsSync);
    assert.ok(model, 'the run has an export folder');
    assert.ok(existsSync(join(model, 'onnx', 'model_int8.onnx')));
    for (const f of ['config.json', 'tokenizer.json', 'README.md']) {
      assert.ok(existsSync(join(model, f)), f);
    }
    await page.waitForTimeout(200);
    await page.screenshot({ path: 'test-results/screenshots/export-verification.png' });
    // Escape closes it, as it closes every dialog once no export is running there.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(s.pageErrors, []);
  });
});
