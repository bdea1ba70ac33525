import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadTemplate, openApp, SKIP_REASON, type Session } from './harness.ts';

/**
 * The header's stats at common laptop widths: each stat shows whole or not at all (never a
 * number cut in half), and the parameter count always shows.
 */
describe('header stats fit the window', { skip: SKIP_REASON }, () => {
  let s: Session;
  before(async () => {
    s = await openApp();
    await loadTemplate(s.page, 'trm-sudoku');
  });
  after(async () => s?.close());

  for (const width of [1280, 1440, 1600]) {
    it(`at ${width} px`, async () => {
      const { page } = s;
      await page.setViewportSize({ width, height: 800 });
      const budget = await page.getByTestId('budget-meter').boundingBox();
      assert.ok(budget, 'the stats are on screen');
      const stats = await page.locator('.budget .stat').evaluateAll((els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { text: e.textContent ?? '', left: r.left, right: r.right, top: r.top };
        }),
      );
      const shown = stats.filter((r) => r.top < budget.y + budget.height);
      assert.match(shown[0]?.text ?? '', /^Params131\.9k/);
      for (const r of shown) {
        assert.ok(r.left >= budget.x - 0.5 && r.right <= budget.x + budget.width + 0.5, r.text);
      }
      assert.ok(budget.x + budget.width <= width, 'the stats end inside the window');
      await page.screenshot({
        path: `test-results/screenshots/header-${width}.png`,
        clip: { x: 0, y: 0, width, height: 60 },
      });
    });
  }
});
