import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadTemplate, openApp, SKIP_REASON, type Session } from './harness.ts';

/**
 * The Train panel opens on the data the document declares: a Sudoku template on 4×4 Sudoku,
 * never the Brown corpus; another template moves it back to the corpus.
 */
describe('the Train panel follows the open document', { skip: SKIP_REASON }, () => {
  let s: Session;
  before(async () => {
    s = await openApp();
  });
  after(async () => s?.close());

  it('a Sudoku template opens the panel on Sudoku of its size', async () => {
    const { page } = s;
    await loadTemplate(page, 'trm-mlp-sudoku');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    const source = page.getByRole('radiogroup', { name: 'Data source' });
    assert.equal(
      await source.getByRole('radio', { name: 'Generated task' }).getAttribute('aria-checked'),
      'true',
    );
    assert.equal(await page.getByLabel('Task', { exact: true }).inputValue(), 'sudoku');
    // The trainer's fields show the template's own recipe, which is what a run uses.
    assert.equal(await page.locator('#train-steps').getAttribute('placeholder'), '300');
    assert.equal(await page.locator('#train-batch').getAttribute('placeholder'), '64');
    assert.equal(await page.locator('#train-lr').getAttribute('placeholder'), '0.003');
    assert.equal(await page.locator('#train-loss').inputValue(), 'stablemax');
    assert.equal(await page.locator('#train-schedule').inputValue(), 'constant');
    assert.equal(await page.locator('#train-haltExplore').getAttribute('placeholder'), '0.1');
    await page.screenshot({ path: 'test-results/screenshots/train-task-sudoku.png' });
    assert.deepEqual(s.pageErrors, []);
  });

  it('on text, a Sudoku model is sent back to its task, not told to grow V', async () => {
    const { page } = s;
    const source = page.getByRole('radiogroup', { name: 'Data source' });
    await source.getByRole('radio', { name: 'Built-in corpus' }).click();
    await page.getByLabel('Corpus').selectOption('brown');
    await page.locator('#train-steps').fill('2');
    await page.getByRole('button', { name: /Start training/ }).click();
    const error = page.getByTestId('train-error');
    await error.waitFor({ timeout: 30_000 });
    const text = (await error.textContent()) ?? '';
    assert.match(text, /This model is made for sudoku-4x4 \(its meta\.task\): train it on that/);
    assert.doesNotMatch(text, /set the graph's V/);
    await page.screenshot({ path: 'test-results/screenshots/train-task-vocab-fix.png' });
    await page.getByTestId('use-declared-task').click();
    await source.getByRole('radio', { name: 'Generated task', checked: true }).waitFor();
    assert.equal(await page.getByLabel('Task', { exact: true }).inputValue(), 'sudoku');
    assert.equal(await error.count(), 0);
    await page.locator('#train-steps').fill('');
  });

  it('a language model opens it on the built-in corpus', async () => {
    const { page } = s;
    await page.getByRole('button', { name: 'Templates' }).click();
    await loadTemplate(page, 'tiny-gpt');
    const source = page.getByRole('radiogroup', { name: 'Data source' });
    await source.getByRole('radio', { name: 'Built-in corpus', checked: true }).waitFor();
    assert.equal(
      await source.getByRole('radio', { name: 'Built-in corpus' }).getAttribute('aria-checked'),
      'true',
    );
    assert.equal(await page.getByLabel('Corpus').inputValue(), 'brown');
    // A graph without recursion: the trainer's own defaults, and no deep-supervision fields.
    assert.equal(await page.locator('#train-steps').getAttribute('placeholder'), '1000');
    assert.equal(await page.locator('#train-loss').inputValue(), 'ce');
    assert.equal(await page.locator('#train-haltExplore').count(), 0);
    assert.equal(await page.locator('#train-supervisionSteps').count(), 0);
  });
});
