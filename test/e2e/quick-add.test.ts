import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { handle, hasChromium, node, openApp, SKIP_REASON, until, type Session } from './harness.ts';

/**
 * The quick-add menu as a person uses it: double-click empty canvas, type, arrows, Enter;
 * Escape closes; a wire let go on empty canvas lists only kinds it plugs into and arrives
 * connected, undone in one step.
 */
describe(
  'designer: quick-add node menu (browser mode)',
  { skip: SKIP_REASON, timeout: 60_000 },
  () => {
    let s: Session;
    before(async () => {
      if (hasChromium) s = await openApp();
      mkdirSync('test-results/screenshots', { recursive: true });
    });
    after(async () => {
      await s?.close();
    });
    const menu = () => s.page.getByTestId('node-menu');
    const options = () => menu().getByRole('option').allTextContents();

    it('places the picked kind where the canvas was double-clicked', async () => {
      const { page } = s;
      await page.getByRole('button', { name: /Empty canvas/ }).click();
      await page.locator('.modal-backdrop').waitFor({ state: 'detached' });
      const pane = page.locator('.react-flow__pane');
      await pane.dblclick({ position: { x: 300, y: 120 } });
      await menu().waitFor();
      await page.keyboard.type('token');
      assert.match((await options())[0] ?? '', /^Token input/);
      await page.keyboard.press('Enter');
      await node(page, 'token_input').waitFor();
      assert.equal(await menu().count(), 0);
      const placed = await node(page, 'token_input').boundingBox();
      const pan = await pane.boundingBox();
      assert.ok(placed && pan);
      assert.ok(Math.abs(placed.x + placed.width / 2 - (pan.x + 300)) < 40, 'centred on the click');
      // No dims yet: its error sentence shows whole, wrapped, never cut off.
      const diag = node(page, 'token_input').getByTestId('node-diagnostic');
      assert.match((await diag.textContent()) ?? '', /Enter a value for it\./);
      assert.ok(await diag.evaluate((el) => el.scrollHeight <= el.clientHeight + 1));

      // Escape closes it without adding anything; arrows move the highlight.
      await pane.dblclick({ position: { x: 700, y: 400 } });
      await menu().waitFor();
      await page.keyboard.press('ArrowDown');
      assert.equal(await menu().locator('[aria-selected="true"]').count(), 1);
      assert.notEqual(await menu().locator('li').first().getAttribute('aria-selected'), 'true');
      await page.keyboard.press('Escape');
      await menu().waitFor({ state: 'detached' });
      assert.equal(await page.locator('.react-flow__node').count(), 1);
    });

    it('offers a dropped wire only kinds it plugs into and connects the pick', async () => {
      const { page } = s;
      const from = await handle(page, 'token_input', 'tokens', 'source').boundingBox();
      assert.ok(from);
      await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await page.mouse.down();
      await page.mouse.move(from.x + 40, from.y + 120, { steps: 5 });
      await page.mouse.move(from.x + 60, from.y + 200, { steps: 5 });
      await page.mouse.up();
      await menu().waitFor();
      const offered = await options();
      assert.ok(
        offered.some((t) => /^Token embedding/.test(t)),
        offered.join(' | '),
      );
      assert.ok(!offered.some((t) => /^FFN/.test(t)), 'an FFN cannot read token ids');
      await page.screenshot({ path: 'test-results/screenshots/quick-add-wire.png' });
      await page.keyboard.type('embed');
      await page.keyboard.press('Enter');
      await node(page, 'token_embedding').waitFor();
      assert.equal(await until(() => page.locator('.react-flow__edge').count(), 1), 1);
      // One step: undo takes away the node and its wire together.
      await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
      await page.keyboard.press('Control+z');
      await node(page, 'token_embedding').waitFor({ state: 'detached' });
      assert.equal(await page.locator('.react-flow__edge').count(), 0);
      assert.deepEqual(s.pageErrors, []);
    });
  },
);
