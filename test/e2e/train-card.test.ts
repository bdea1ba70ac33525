import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadTemplate, openApp, runStatus, SKIP_REASON, until, type Session } from './harness.ts';

/**
 * The TRM-MLP template's card, reached from the Train panel as it opens: a person loads the
 * template, opens Train, changes nothing, starts, and reads the held-out figure the panel
 * shows. (Before the recipe reached the trainer, this gave 0% exact.)
 */
describe(
  'the TRM-MLP card from the Train panel as it opens',
  { skip: SKIP_REASON, timeout: 900_000 },
  () => {
    let s: Session;
    before(async () => {
      s = await openApp();
    });
    after(async () => s?.close());

    it('trains with the template’s own settings and shows ≥ 90% held-out exact match', async () => {
      const { page } = s;
      await loadTemplate(page, 'trm-mlp-sudoku');
      await page.getByRole('button', { name: 'Train', exact: true }).click();
      await page.getByTestId('train-panel').waitFor();
      await page.getByRole('button', { name: /Start training/ }).click();
      assert.equal(await until(() => runStatus(page), 'completed', 840_000), 'completed');
      const summary = page.getByTestId('eval-summary');
      await summary.waitFor();
      const text = (await summary.textContent()) ?? '';
      await page.screenshot({ path: 'test-results/screenshots/train-card.png' });
      // The last evaluation: the template's 300 steps, its 1,000 held-out puzzles, EMA weights.
      assert.match(text, /^Held-out @ step 300 \(EMA weights\) exact [\d.]+% · open cells/, text);
      assert.match(text, /\(1,000 examples\)$/, text);
      const exact = Number(/exact ([\d.]+)%/.exec(text)?.[1]);
      assert.ok(exact >= 90, text);
      assert.deepEqual(s.pageErrors, []);
    });
  },
);
