import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  drawWire,
  hasChromium,
  node,
  openApp,
  SKIP_REASON,
  until,
  type Session,
} from './harness.ts';

/**
 * The Components list and recursion as a person uses them, from an empty canvas: create a
 * component and name it, drag an instance out, flip its weights, wrap it in a recursion, set
 * the carry through the table and the steps to a dim, open the body with Tab, rename the
 * component under its users, and see a delete refused with a sentence.
 */
describe(
  'designer: components and recursion (browser mode)',
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
    const row = (name: string) => s.page.locator(`.component-row[data-component="${name}"]`);
    const shot = (name: string) =>
      s.page.screenshot({ path: `test-results/screenshots/components-${name}.png` });
    const toast = async () => (await s.page.getByTestId('toast').textContent()) ?? '';

    it('creates a component, names it and drags an instance onto the canvas', async () => {
      const { page } = s;
      await page.getByRole('button', { name: /Empty canvas/ }).click();
      await page.locator('.modal-backdrop').waitFor({ state: 'detached' });
      // Sizes first, so the dropped nodes name them instead of showing empty fields.
      for (const [dim, value] of [
        ['V', '16'],
        ['T', '8'],
        ['D', '32'],
      ] as const) {
        await page.getByLabel('New dim name').fill(dim);
        await page.getByLabel('New dim value').fill(value);
        await page.getByLabel('New dim value').press('Enter');
      }
      await page.getByTestId('new-component').click();
      const name = page.getByLabel('New name for component component');
      await name.fill('net');
      await name.press('Enter');
      await row('net').waitFor();
      assert.equal(await row('net').locator('.component-uses').textContent(), 'unused');

      const pane = page.locator('.react-flow__pane');
      const box = await pane.boundingBox();
      assert.ok(box);
      const drop = (kind: string, y: number) =>
        page
          .locator(`.palette-item[data-kind="${kind}"]`)
          .dragTo(pane, { targetPosition: { x: box.width / 2, y } });
      await drop('token-input', 80);
      await node(page, 'token_input').waitFor();
      await drop('token-embedding', 260);
      await node(page, 'token_embedding').waitFor();
      await row('net').dragTo(pane, { targetPosition: { x: box.width / 2, y: 460 } });
      await node(page, 'net').waitFor();
      assert.equal(await row('net').locator('.component-uses').textContent(), '1 use');
      assert.match((await node(page, 'net').textContent()) ?? '', /shared weights/);
      await drawWire(
        page,
        { node: 'token_input', port: 'tokens' },
        { node: 'token_embedding', port: 'tokens' },
      );
      await drawWire(page, { node: 'token_embedding', port: 'out' }, { node: 'net', port: 'x' });
      await page.locator('.react-flow__edge').nth(1).waitFor();

      // Tab opens the selected instance: draw a feed-forward between its two ports.
      await node(page, 'net').locator('.trm-node-title').click();
      await page.keyboard.press('Tab');
      await node(page, 'in_x').waitFor();
      const inner = await pane.boundingBox();
      assert.ok(inner);
      await page
        .locator('.palette-item[data-kind="ffn"]')
        .dragTo(pane, { targetPosition: { x: inner.width * 0.75, y: inner.height / 2 - 60 } });
      await node(page, 'ffn').waitFor();
      await drawWire(page, { node: 'in_x', port: 'out' }, { node: 'ffn', port: 'x' });
      await drawWire(page, { node: 'ffn', port: 'out' }, { node: 'out', port: 'value' });
      assert.equal(await until(() => page.locator('.react-flow__edge').count(), 2), 2);
      await shot('body');
      await page.keyboard.press('Shift+Tab');
      await node(page, 'net').waitFor();

      // A second instance shares the first one's weights; its switch gives it its own.
      await row('net').dragTo(pane, { targetPosition: { x: box.width / 2 + 260, y: 460 } });
      await node(page, 'net_2').waitFor();
      await drawWire(page, { node: 'token_embedding', port: 'out' }, { node: 'net_2', port: 'x' });
      const total = () => page.getByTestId('total-params').textContent();
      const shared = await total();
      // The switch shows on the selected instance only: selecting never flips it.
      await node(page, 'net_2').locator('.trm-node-title').click();
      assert.equal(await node(page, 'net').getByTestId('shared-toggle').count(), 0);
      await node(page, 'net_2').getByTestId('shared-toggle').click();
      assert.match((await node(page, 'net_2').textContent()) ?? '', /own weights/);
      assert.match((await node(page, 'net').textContent()) ?? '', /shared weights/);
      // D = 32, FFN 4×: two 32×128 matrices more.
      assert.match(
        await toast(),
        /^net_2 has weights of its own: [\d,]+ → [\d,]+ parameters \(\+8,192\)\.$/,
      );
      assert.notEqual(await total(), shared);
      await shot('own-weights');
      await node(page, 'net_2').getByTestId('shared-toggle').click();
      assert.match((await node(page, 'net_2').textContent()) ?? '', /shared weights/);
      assert.equal(await until(total, shared), shared);
      await shot('instance');
    });

    it('wraps the instance in a recursion and sets its carry and steps through the form', async () => {
      const { page } = s;
      await node(page, 'net').click({ button: 'right' });
      await page.getByTestId('menu-wrapRecursion').click();
      await node(page, 'net_loop').waitFor();
      assert.equal(await node(page, 'net').count(), 0);
      // One input, one output: the guess feeds out back into x, shown as a row of the table.
      const table = page.getByTestId('carry-table');
      assert.equal(await table.getByLabel('Carry 1 output').inputValue(), 'out');
      assert.equal(await table.getByLabel('Carry 1 input').inputValue(), 'x');

      // No carry is an error on the node; adding a row from the table fixes it.
      await table.getByLabel('Remove carry 1').click();
      await node(page, 'net_loop').getByTestId('node-diagnostic').waitFor();
      assert.match(
        (await node(page, 'net_loop').getByTestId('node-diagnostic').textContent()) ?? '',
        /carries no state/,
      );
      await table.getByRole('button', { name: '+ Add carried pair' }).click();
      await table.getByLabel('Carry 1 output').selectOption('out');
      await table.getByLabel('Carry 1 input').selectOption('x');
      await node(page, 'net_loop').getByTestId('node-diagnostic').waitFor({ state: 'detached' });

      // Steps may name a dim: add n = 3 in the DIMS panel, then type n into steps.
      await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
      await page.getByLabel('New dim name').fill('n');
      await page.getByLabel('New dim value').fill('3');
      await page.getByLabel('New dim value').press('Enter');
      await node(page, 'net_loop').click();
      await page.locator('#param-steps').fill('n');
      await page.locator('#param-steps').press('Enter');
      await until(
        async () => /×n=3/.test((await node(page, 'net_loop').textContent()) ?? ''),
        true,
      );
      assert.match((await node(page, 'net_loop').textContent()) ?? '', /×n=3, shared weights/);
      await page.locator('#param-gradSteps').fill('1');
      await page.locator('#param-gradSteps').press('Enter');
      await page.locator('#param-deepSupervision').check();
      assert.match((await node(page, 'net_loop').textContent()) ?? '', /deep supervision/);
      await shot('recursion');
    });

    it('opens the body with Tab and leaves it with Shift+Tab; the list opens it on double-click', async () => {
      const { page } = s;
      await node(page, 'net_loop').click();
      await page.keyboard.press('Tab');
      await node(page, 'in_x').waitFor();
      assert.equal(await page.locator('.breadcrumb button.current').textContent(), 'net');
      await page.keyboard.press('Shift+Tab');
      await node(page, 'net_loop').waitFor();
      await row('net').dblclick();
      await node(page, 'in_x').waitFor();
      await page.keyboard.press('Escape');
      await node(page, 'net_loop').waitFor();
    });

    it('renames the component under its users, duplicates it, and refuses to delete it', async () => {
      const { page } = s;
      await row('net').getByLabel('Rename component net').click();
      const name = page.getByLabel('New name for component net');
      await name.fill('core');
      await name.press('Enter');
      await row('core').waitFor();
      assert.equal(await row('net').count(), 0);
      assert.match((await node(page, 'net_loop').textContent()) ?? '', /core/);
      await node(page, 'net_loop').click();
      assert.equal(await page.locator('#param-component').inputValue(), 'core');
      assert.equal(
        await page.getByTestId('carry-table').getByLabel('Carry 1 input').inputValue(),
        'x',
      );

      await row('core').getByLabel('Delete component core').click();
      assert.equal(
        await page.getByTestId('components-problem').textContent(),
        'Component "core" is used by main/net_loop, main/net_2; delete or ungroup them first.',
      );
      await row('core').getByLabel('Duplicate component core').click();
      await row('core_copy').waitFor();
      await shot('list');
      await row('core_copy').getByLabel('Delete component core_copy').click();
      await row('core_copy').waitFor({ state: 'detached' });

      // Each list edit is one undo step: undo the delete, then the duplicate.
      await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
      await page.keyboard.press('Control+z');
      await row('core_copy').waitFor();
      await page.keyboard.press('Control+z');
      await row('core_copy').waitFor({ state: 'detached' });
    });

    it('drops a Recursion node that starts on a component, its carry filled in', async () => {
      const { page } = s;
      const pane = page.locator('.react-flow__pane');
      const box = await pane.boundingBox();
      assert.ok(box);
      await page
        .locator('.palette-item[data-kind="recursion"]')
        .dragTo(pane, { targetPosition: { x: box.width - 330, y: 140 } });
      await node(page, 'recursion').waitFor();
      const component = page.locator('#param-component');
      assert.equal(await component.inputValue(), 'core');
      assert.deepEqual(
        await component.locator('option').evaluateAll((os) => os.map((o) => o.textContent)),
        ['core'],
      );
      const table = page.getByTestId('carry-table');
      assert.equal(await table.getByLabel('Carry 1 output').inputValue(), 'out');
      assert.equal(await table.getByLabel('Carry 1 input').inputValue(), 'x');
      // Only the unwired input is left to fix: no parameter of the drop is missing.
      const diagnostics = await page.getByTestId('inspector-diagnostic').allTextContents();
      assert.deepEqual(diagnostics, [
        'Input "x" of node "recursion" is not connected. Connect it to an output.',
      ]);
      await shot('dropped-recursion');
      assert.deepEqual(s.pageErrors, []);
    });
  },
);
