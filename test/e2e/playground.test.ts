import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
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
 * The playground in a real browser, as a person uses it: train tiny-gpt a few steps and
 * watch generated text stream in (then stop a long generation); train the Sudoku TRM-MLP
 * briefly, fill the grid with a random held-out puzzle, edit it by keyboard and solve it.
 */
describe('playground (browser mode)', { skip: SKIP_REASON, timeout: 180_000 }, () => {
  let s: Session;
  before(async () => {
    if (hasChromium) s = await openApp();
  });
  after(async () => {
    await s?.close();
  });

  /** Start a short run with these trainer settings and wait until it completes. */
  async function trainBriefly(page: Page, settings: Record<string, string>) {
    for (const [key, value] of Object.entries(settings))
      await page.locator(`#train-${key}`).fill(value);
    await page.getByRole('button', { name: /Start training/ }).click();
    // The panel still shows the previous run until the engine answers; a run never completes
    // within one poll of starting (its worker alone takes longer), so wait for the new one first.
    await until(async () => (await runStatus(page)) !== 'completed', true, 10_000);
    assert.equal(await until(() => runStatus(page), 'completed', 90_000), 'completed');
  }

  it('generates text from a briefly trained tiny GPT, streaming token by token', async () => {
    const { page } = s;
    await page.locator('[data-template]').first().waitFor();
    await loadTemplate(page, 'tiny-gpt');
    await page.getByTestId('toggle-train').click();
    await page.getByTestId('train-panel').waitFor();
    await trainBriefly(page, {
      batch: '4',
      steps: '4',
      evalEvery: '0',
      evalExamples: '4',
      checkpointEvery: '2',
      warmup: '1',
    });
    await page.getByRole('button', { name: 'Try it…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Playground' });
    await dialog.waitFor();
    await until(
      async () => (await page.getByTestId('playground-model').textContent()) ?? '',
      'language model · tfjs',
      30_000,
    );
    // An earlier checkpoint of the run can be tried too.
    const picker = page.getByTestId('playground-checkpoint');
    await picker.waitFor({ timeout: 10_000 });
    const options = await picker.locator('option').allTextContents();
    assert.deepEqual(options, ['latest checkpoint', 'step 2', 'step 4']);
    await picker.selectOption('step-000002');
    await until(
      async () => (await page.getByTestId('playground-model').textContent()) ?? '',
      'language model · tfjs',
      30_000,
    );
    assert.equal(await page.getByTestId('playground-model').textContent(), 'language model · tfjs');
    await dialog.getByLabel('Prompt').fill('The ');
    await dialog.getByLabel('max tokens').fill('48');
    // Record every length the streamed text takes, as the page renders it.
    // (A script string: this file is type-checked without the DOM library.)
    await page.evaluate(`
      window.lengths = [];
      new MutationObserver(() => {
        const t = document.querySelector('[data-testid="generated-text"]');
        if (t) window.lengths.push(t.textContent.length);
      }).observe(document.querySelector('[role="dialog"]'), {
        subtree: true,
        childList: true,
        characterData: true,
      });
    `);
    await dialog.getByRole('button', { name: 'Generate' }).click();
    const stats = page.getByTestId('generation-stats');
    await stats.filter({ hasText: /· done$/ }).waitFor({ timeout: 60_000 });
    assert.match((await stats.textContent()) ?? '', /^48 tokens · [\d.]+ tokens\/s · done$/);
    const text = (await page.getByTestId('generated-text').textContent()) ?? '';
    assert.equal(text.length, 48, 'a char model shows one character per token');
    const lengths = (await page.evaluate('window.lengths')) as number[];
    const partial = new Set(lengths.filter((n) => n > 0 && n < 48));
    assert.ok(partial.size >= 2, `text appeared all at once: lengths ${lengths.join(',')}`);

    // A long sampled generation stops when asked.
    await dialog.getByRole('radio', { name: 'Sample' }).click();
    await dialog.getByLabel('temperature').fill('0.9');
    await dialog.getByLabel('max tokens').fill('2048');
    await dialog.getByRole('button', { name: 'Generate' }).click();
    await stats.filter({ hasText: /^[1-9]\d* tokens/ }).waitFor({ timeout: 30_000 });
    await dialog.getByRole('button', { name: 'Stop' }).click();
    await stats.filter({ hasText: /· cancelled$/ }).waitFor({ timeout: 30_000 });
    const stopped = Number(/^(\d+) tokens/.exec((await stats.textContent()) ?? '')?.[1]);
    assert.ok(stopped > 0 && stopped < 2048, `${stopped} tokens`);
    mkdirSync('test-results/screenshots', { recursive: true });
    await page.screenshot({ path: 'test-results/screenshots/playground-text.png' });
    // Bounds are the engine's: a temperature below its minimum is refused with a sentence.
    await dialog.getByLabel('temperature').fill('0.0000001');
    await dialog.getByRole('button', { name: 'Generate' }).click();
    assert.match(
      (await page.getByTestId('generation-error').textContent()) ?? '',
      /settings\.temperature.*0\.001/,
    );
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('trains the Sudoku TRM briefly and solves a puzzle in the grid', async () => {
    const { page } = s;
    await page.getByRole('button', { name: 'Templates' }).click();
    await loadTemplate(page, 'trm-mlp-sudoku');
    await page.getByRole('radio', { name: 'Generated task' }).click();
    await page.getByLabel('Task').selectOption('sudoku');
    await page.locator('#task-size').selectOption('4');
    await trainBriefly(page, {
      batch: '8',
      steps: '4',
      evalEvery: '0',
      evalExamples: '8',
      checkpointEvery: '0',
      warmup: '1',
    });
    await page.getByRole('button', { name: 'Try it…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Playground' });
    await dialog.waitFor();
    await page
      .getByTestId('playground-model')
      .filter({ hasText: 'puzzle solver (sudoku) · tfjs' })
      .waitFor({ timeout: 30_000 });
    const puzzle = page.getByTestId('puzzle');
    const cells = puzzle.getByRole('gridcell');
    assert.equal(await cells.count(), 16);
    await dialog.getByRole('button', { name: 'Random puzzle' }).click();
    await until(async () => (await cells.allTextContents()).some((t) => t !== ''), true, 10_000);
    const generated = await cells.allTextContents();
    assert.ok(
      generated.every((t) => /^[1-4]?$/.test(t)),
      generated.join(','),
    );
    assert.ok(generated.includes(''), 'the puzzle has blanks');

    // Keyboard entry: clear a clue, type it back, and move with the arrows.
    const clue = generated.findIndex((t) => t !== '');
    await cells.nth(clue).click();
    await puzzle.press('Backspace');
    assert.equal(await cells.nth(clue).textContent(), '');
    await puzzle.press(generated[clue]!);
    assert.equal(await cells.nth(clue).textContent(), generated[clue]);
    await puzzle.press('9');
    assert.equal(await cells.nth(clue).textContent(), generated[clue], 'a 4×4 grid refuses 9');

    await dialog.getByRole('button', { name: 'Solve' }).click();
    const steps = page.getByTestId('steps-used');
    await steps.waitFor({ timeout: 30_000 });
    assert.match(
      (await steps.textContent()) ?? '',
      /^(Halted after [1-4] of 4 steps|Used all 4 steps without halting)$/,
    );
    const answer = page.getByTestId('answer').getByRole('gridcell');
    assert.equal(await answer.count(), 16);
    const answered = await answer.allTextContents();
    // A briefly trained model may still answer "blank" (.) or padding (?), which are always wrong.
    assert.ok(
      answered.every((t) => /^[1-4.?]$/.test(t)),
      `every cell answered: ${answered.join(',')}`,
    );
    // Given cells and predicted cells are told apart; wrong ones are marked against the solution.
    const classes = await answer.evaluateAll((els) => els.map((e) => e.className));
    generated.forEach((t, i) =>
      assert.match(classes[i]!, t === '' ? /\bpredicted\b/ : /\bgiven\b/, `cell ${i}`),
    );
    answered.forEach((t, i) => {
      if (t === '.' || t === '?') assert.match(classes[i]!, /\bwrong\b/, `cell ${i}`);
    });
    const verdict = (await page.getByTestId('solve-verdict').textContent()) ?? '';
    const wrong = classes.filter((c) => /\bwrong\b/.test(c)).length;
    if (wrong === 0) assert.equal(verdict, '✓ Solved correctly');
    else assert.match(verdict, new RegExp(`^✗ ${wrong} wrong cells? \\(marked\\)$`));
    const rows = page.getByTestId('step-table').locator('tbody tr');
    assert.equal(
      await rows.count(),
      Number(/(\d) (of|steps)/.exec((await steps.textContent())!)![1]),
    );
    await page.screenshot({ path: 'test-results/screenshots/playground-sudoku.png' });
    assert.deepEqual(s.pageErrors, []);
  });
});
