import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  hasChromium,
  loadTemplate,
  node,
  openApp,
  SKIP_REASON,
  until,
  type Session,
} from './harness.ts';

/**
 * Grouping and dims as a person does them: click and Shift+click two blocks of the tiny GPT,
 * Ctrl+G, see one component instance; Ctrl+Shift+G, see the blocks again; add a dim.
 */
describe(
  'designer: group, ungroup, dims (browser mode)',
  { skip: SKIP_REASON, timeout: 60_000 },
  () => {
    let s: Session;
    before(async () => {
      if (hasChromium) s = await openApp();
    });
    after(async () => {
      await s?.close();
    });
    const count = () => s.page.locator('.react-flow__node').count();

    it('groups two selected blocks with Ctrl+G and ungroups them with Ctrl+Shift+G', async () => {
      const { page } = s;
      await page.locator('[data-template]').first().waitFor();
      await loadTemplate(page, 'tiny-gpt');
      const before = await count();
      const total = await page.getByTestId('total-params').textContent();
      await node(page, 'block1').click();
      await node(page, 'block2').click({ modifiers: ['Shift'] });
      await page.keyboard.press('Control+g');
      await node(page, 'group').waitFor();
      assert.equal(await until(count, before - 1), before - 1);
      assert.equal(await node(page, 'block1').count(), 0);
      assert.equal(await page.getByTestId('total-params').textContent(), total, 'same parameters');
      mkdirSync('test-results/screenshots', { recursive: true });
      await page.screenshot({ path: 'test-results/screenshots/designer-grouped.png' });

      await page.keyboard.press('Control+Shift+g');
      await node(page, 'block1').waitFor();
      assert.equal(await until(count, before), before);
      assert.equal(await node(page, 'group').count(), 0);
      assert.equal(await page.getByTestId('total-params').textContent(), total);

      // The ungrouped blocks stay selected: the right-click menu groups them again; undo ungroups.
      await node(page, 'block1').click({ button: 'right' });
      await page.getByTestId('menu-group').click();
      await node(page, 'group').waitFor();
      await page.keyboard.press('Control+z');
      await node(page, 'block2').waitFor();
      assert.equal(await until(count, before), before);
    });

    it('adds a dim from the DIMS panel with Enter', async () => {
      const { page } = s;
      await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
      await page.getByLabel('New dim name').fill('K');
      await page.getByLabel('New dim value').fill('3');
      await page.getByLabel('New dim value').press('Enter');
      assert.equal(await page.getByLabel('Value of dim K', { exact: true }).inputValue(), '3');
      await page.getByLabel('Delete dim V', { exact: true }).click();
      assert.match(
        (await page.getByTestId('dims-problem').textContent()) ?? '',
        /^Dim "V" is used by /,
      );
      await page.screenshot({ path: 'test-results/screenshots/designer-dims.png' });
      assert.deepEqual(s.pageErrors, []);
    });
  },
);
