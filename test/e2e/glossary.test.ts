import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { hasChromium, loadTemplate, node, openApp, SKIP_REASON, type Session } from './harness.ts';

const SHOTS = 'test-results/screenshots';

/**
 * The glossary as a person meets it: a palette item's hover card, the "?" beside an inspector
 * field and a Train panel setting (Escape closes it and nothing else), and the Glossary panel
 * opened by its key and its toolbar button, searched and read.
 */
describe(
  'glossary: hover cards, "?" popovers and the panel (browser mode)',
  {
    skip: SKIP_REASON,
    timeout: 90_000,
  },
  () => {
    let s: Session;
    before(async () => {
      if (!hasChromium) return;
      s = await openApp();
      mkdirSync(SHOTS, { recursive: true });
      await loadTemplate(s.page, 'trm-sudoku');
    });
    after(async () => {
      await s?.close();
    });

    it('shows a node kind’s entry when the pointer rests on its palette item', async () => {
      const { page } = s;
      const item = page.locator('.palette-item[data-kind="recursion"]');
      await item.hover();
      const card = page.getByTestId('palette-card');
      await card.waitFor();
      const text = (await card.textContent()) ?? '';
      assert.match(text, /^Recursion/);
      assert.match(text, /feeding named outputs back into inputs/);
      assert.match(text, /Why it matters/);
      assert.match(text, /N_sup = 16/);
      // Beside the palette, not over it, and whole inside the window.
      const [c, i] = [await card.boundingBox(), await item.boundingBox()];
      assert.ok(c && i);
      assert.ok(c.x >= i.x + i.width, 'the card sits to the right of the item');
      assert.ok(c.y + c.height <= 1000 && c.x + c.width <= 1600, 'the card fits the window');
      await page.screenshot({ path: `${SHOTS}/glossary-palette-card.png` });
      await page.mouse.move(800, 500);
      await card.waitFor({ state: 'detached' });
    });

    it('explains an inspector field with its "?", and Escape closes only the popover', async () => {
      const { page } = s;
      await node(page, 'supervise').click();
      const inspector = page.getByRole('complementary', { name: 'Inspector' });
      await inspector.getByRole('heading', { name: 'Recursion' }).waitFor();
      await inspector.getByRole('button', { name: 'What is deepSupervision?' }).click();
      const pop = page.getByTestId('glossary-popover');
      await pop.waitFor();
      const text = (await pop.textContent()) ?? '';
      assert.match(text, /^Deep supervision/);
      assert.match(text, /N_sup/);
      assert.match(text, /trm explain deep-supervision/);
      await page.screenshot({ path: `${SHOTS}/glossary-inspector-popover.png` });
      await page.keyboard.press('Escape');
      await pop.waitFor({ state: 'detached' });
      // The node stays selected: Escape went to the popover alone.
      await inspector.getByRole('heading', { name: 'Recursion' }).waitFor();
      // The kind's own "?" beside its title.
      await inspector.getByRole('button', { name: 'What is Recursion?' }).click();
      assert.match((await pop.textContent()) ?? '', /^Recursion.*node kind/);
      await inspector.getByRole('button', { name: 'What is Recursion?' }).click();
      await pop.waitFor({ state: 'detached' });
    });

    it('explains a trainer setting in the Train panel', async () => {
      const { page } = s;
      await page.getByTestId('toggle-train').click();
      const panel = page.getByTestId('train-panel');
      await panel.getByRole('button', { name: 'What is haltWeight?' }).click();
      const pop = page.getByTestId('glossary-popover');
      await pop.waitFor();
      assert.match((await pop.textContent()) ?? '', /^Halting loss weight.*trainer setting/);
      await page.screenshot({ path: `${SHOTS}/glossary-train-popover.png` });
      // A press elsewhere closes it too.
      await panel.getByRole('heading', { name: 'Trainer' }).click();
      await pop.waitFor({ state: 'detached' });
      await page.getByTestId('toggle-train').click();
    });

    it('explains an export precision inside the Export dialog, which Escape leaves open', async () => {
      const { page } = s;
      await page.getByRole('button', { name: 'Export', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Export ONNX' });
      const picked = () => dialog.locator('.precision.on strong').textContent();
      const before = await picked();
      await dialog.getByRole('button', { name: 'What is int8 weights?' }).click();
      const pop = page.getByTestId('glossary-popover');
      assert.match((await pop.textContent()) ?? '', /^int8 weight-only export/);
      await page.screenshot({ path: `${SHOTS}/glossary-export-popover.png` });
      await page.keyboard.press('Escape');
      await pop.waitFor({ state: 'detached' });
      assert.equal(await dialog.count(), 1, 'the first Escape closes the popover alone');
      // The "?" took the press: the precision picked stays as it was.
      assert.equal(await picked(), before);
      assert.notEqual(before, 'int8 weights');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    });

    it('opens the Glossary with G, finds a term by search and reads it', async () => {
      const { page } = s;
      await page.keyboard.press('g');
      const panel = page.getByTestId('glossary');
      await panel.waitFor();
      const search = panel.getByLabel('Search the glossary');
      assert.equal(await search.evaluate((el) => el === el.ownerDocument.activeElement), true);
      await search.fill('int4');
      const entry = panel.getByTestId('glossary-entry');
      assert.match((await entry.textContent()) ?? '', /^int4 export.*4-bit blocks of 32/);
      await page.screenshot({ path: `${SHOTS}/glossary-panel-int4.png` });
      await page.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });
    });

    it('explains what the Playground and the encoder–decoder export name: KV cache, beam search', async () => {
      const { page } = s;
      await page.keyboard.press('g');
      const panel = page.getByTestId('glossary');
      const search = panel.getByLabel('Search the glossary');
      const entry = panel.getByTestId('glossary-entry');
      await search.fill('KV cache');
      assert.match((await entry.textContent()) ?? '', /^KV cache.*decoder_with_past_model\.onnx/);
      await page.screenshot({ path: `${SHOTS}/glossary-panel-kv-cache.png` });
      await search.fill('beam search');
      assert.match((await entry.textContent()) ?? '', /^Decoding: greedy, sampling, beam search/);
      await search.fill('padding mask');
      const terms = panel.getByRole('list', { name: 'Terms' }).getByRole('button');
      assert.deepEqual(
        (await terms.allTextContents()).map(
          (t) => /^(Attention|Cross-attention)/.exec(t)?.[1] ?? t,
        ),
        ['Attention', 'Cross-attention'],
      );
      await page.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });
    });

    it('opens the Glossary from the toolbar and picks a result from the list', async () => {
      const { page } = s;
      await page.getByTestId('open-glossary').click();
      const panel = page.getByTestId('glossary');
      await panel.getByLabel('Search the glossary').fill('halting');
      const terms = panel.getByRole('list', { name: 'Terms' }).getByRole('button');
      assert.ok((await terms.count()) >= 3, 'several entries mention halting');
      await terms.filter({ hasText: 'haltExplore' }).click();
      const entry = panel.getByTestId('glossary-entry');
      assert.match((await entry.textContent()) ?? '', /^Halting exploration/);
      await panel.getByLabel('Search the glossary').fill('no such concept here');
      assert.match((await entry.textContent()) ?? '', /No term matches/);
      await panel.getByRole('button', { name: 'Close' }).click();
      await panel.waitFor({ state: 'detached' });
      assert.deepEqual(s.pageErrors, []);
    });
  },
);
