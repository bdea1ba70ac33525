import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compile } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import { formatCount } from '../../renderer/src/format.ts';
import {
  drawWire,
  hasChromium,
  until,
  loadTemplate,
  node,
  openApp,
  SKIP_REASON,
  type Session,
} from './harness.ts';

/**
 * The designer in a real browser, driven as a person would: through the web host, with
 * pointer drags and the keyboard. One session walks the whole story so the suite stays short.
 */
describe('canvas (browser mode)', { skip: SKIP_REASON, timeout: 150_000 }, () => {
  let s: Session;
  const trm = (() => {
    const r = parseDocument(readFileSync('templates/trm-sudoku.json', 'utf8'));
    assert.ok(r.ok);
    return r.doc;
  })();

  before(async () => {
    if (hasChromium) s = await openApp();
  });
  after(async () => {
    await s?.close();
  });

  // Hand-computed figures follow the template's own sizes: width D, vocabulary V, L cells.
  const { D, V, L, H } = trm.dims as Record<'D' | 'V' | 'L' | 'H', number>;
  const attention = (headDim: number) => `${formatCount(4 * D * H * headDim)} params`;
  const edgeCount = () => s.page.locator('.react-flow__edge').count();
  const status = () => s.page.getByTestId('status').textContent();
  const paramsOf = (id: string) => node(s.page, id).getByTestId('param-count').textContent();

  it('loads the TRM template: nodes, shape labels, parameter counts, zero diagnostics', async () => {
    const { page } = s;
    await page.locator('[data-template]').first().waitFor();
    await loadTemplate(page, 'trm-sudoku');
    assert.equal(await page.locator('.react-flow__node').count(), trm.main.nodes.length);
    assert.equal(await until(() => edgeCount(), trm.main.edges.length), trm.main.edges.length);
    const labels = await page.locator('.react-flow__edge-text').allTextContents();
    assert.ok(labels.includes(`B×${L}×${D}`), `edge labels: ${labels.join(', ')}`);
    assert.ok(labels.includes(`B×${L}`), 'token ids edge is labelled with its shape');
    const total = compile(trm).totalParams;
    assert.equal(await page.getByTestId('total-params').textContent(), formatCount(total));
    // The recursion holds every weight of the shared network, counted once.
    assert.equal(await paramsOf('supervise'), `${formatCount(total - V * D)} params`);
    assert.match((await node(page, 'supervise').textContent()) ?? '', /×N_sup=4, shared weights/);
    assert.equal(await status(), 'Valid');
    mkdirSync('test-results/screenshots', { recursive: true });
    await page.waitForTimeout(300);
    await page.screenshot({ path: 'test-results/screenshots/canvas-trm.png' });
  });

  it('opens a recursion body as a sub-flow and comes back by the breadcrumb', async () => {
    const { page } = s;
    await node(page, 'supervise').dblclick();
    await node(page, 'deep').waitFor();
    assert.match((await page.locator('.breadcrumb').textContent()) ?? '', /deep_step/);
    assert.equal(
      await page.locator('.react-flow__node').count(),
      trm.components.deep_step?.nodes.length,
    );
    await page.locator('.breadcrumb button').first().click();
    await node(page, 'supervise').waitFor();
  });

  it('finds node kinds by searching the palette', async () => {
    const { page } = s;
    const search = page.getByLabel('Search nodes');
    await search.fill('norm');
    const shown = await page
      .locator('.palette-item')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    // Cleared first, so a failure here does not leave the later tests a filtered palette.
    await search.fill('');
    assert.deepEqual(shown.sort(), ['batch-norm', 'layer-norm', 'rms-norm']);
  });

  it('adds nodes by dragging from the palette and wires them', async () => {
    const { page } = s;
    const pane = page.locator('.react-flow__pane');
    const box = await pane.boundingBox();
    assert.ok(box);
    await page
      .locator('.palette-item[data-kind="attention"]')
      .dragTo(pane, { targetPosition: { x: 140, y: box.height - 260 } });
    await node(page, 'attention').waitFor();
    // Width and heads came from the document's dims; the unwired input is reported in place.
    assert.match(
      (await node(page, 'attention').getByTestId('node-diagnostic').textContent()) ?? '',
      /x/,
    );
    assert.match((await status()) ?? '', /error/);
    const before = await edgeCount();
    await drawWire(page, { node: 'embed', port: 'out' }, { node: 'attention', port: 'x' });
    assert.equal(await until(edgeCount, before + 1), before + 1);
    await node(page, 'attention').locator('.has-error').waitFor({ state: 'detached' });
    assert.equal(await until(() => paramsOf('attention'), attention(D / H)), attention(D / H));
  });

  it('refuses a wire that cannot be valid and says why', async () => {
    const { page } = s;
    const pane = page.locator('.react-flow__pane');
    const box = await pane.boundingBox();
    assert.ok(box);
    await page
      .locator('.palette-item[data-kind="layer-norm"]')
      .dragTo(pane, { targetPosition: { x: box.width - 420, y: 120 } });
    await node(page, 'layer_norm').waitFor();
    const before = await edgeCount();
    await drawWire(page, { node: 'puzzle', port: 'tokens' }, { node: 'layer_norm', port: 'x' });
    await page.getByTestId('toast').waitFor();
    assert.match(
      (await page.getByTestId('toast').textContent()) ?? '',
      /takes activations, but "puzzle.tokens" gives token ids/,
    );
    assert.equal(await until(() => edgeCount(), before), before);
    await node(page, 'layer_norm').click();
    await page.keyboard.press('Delete');
    await node(page, 'layer_norm').waitFor({ state: 'detached' });
  });

  it('edits a parameter in the inspector: the diagnostic appears, clears, and the count follows', async () => {
    const { page } = s;
    await node(page, 'attention').locator('.trm-node-title').click();
    const heads = page.locator('#param-heads');
    await heads.fill('5');
    await heads.press('Enter');
    // The error replaces the "not connected to an output" warning shown until now.
    const diag = node(page, 'attention')
      .getByTestId('node-diagnostic')
      .filter({ hasText: 'divisible' });
    await diag.waitFor();
    assert.ok(await node(page, 'attention').locator('.trm-node.has-error').count());
    await page.getByTestId('inspector-diagnostic').filter({ hasText: 'divisible' }).waitFor();
    await heads.fill('H');
    await heads.press('Enter');
    await diag.waitFor({ state: 'detached' });
    const headDim = page.locator('#param-headDim');
    await headDim.fill('32');
    await headDim.press('Enter');
    // q, k, v: D → H·32 each; output H·32 → D.
    const wider = attention(32);
    assert.equal(await until(() => paramsOf('attention'), wider), wider);
  });

  it('undoes and redoes every change', async () => {
    const { page } = s;
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 300 } });
    await page.keyboard.press('Control+z');
    assert.equal(await until(() => paramsOf('attention'), attention(D / H)), attention(D / H));
    await page.keyboard.press('Control+y');
    assert.equal(await until(() => paramsOf('attention'), attention(32)), attention(32));
    const edges = await edgeCount();
    // headDim, heads ×2, layer_norm deleted, layer_norm added, the wire.
    for (let i = 0; i < 6; i++) await page.keyboard.press('Control+z');
    assert.equal(await until(() => edgeCount(), edges - 1), edges - 1);
    for (let i = 0; i < 6; i++) await page.keyboard.press('Control+Shift+z');
    assert.equal(await until(() => edgeCount(), edges), edges);
    assert.equal(await until(() => paramsOf('attention'), attention(32)), attention(32));
  });

  it('saves, then reopens the document with everything in it', async () => {
    const { page } = s;
    assert.equal(await page.getByTestId('dirty-marker').count(), 1);
    await page.keyboard.press('Control+s');
    const name = page.getByLabel('File name');
    await name.fill('my-trm');
    await name.press('Enter');
    await page.getByTestId('dirty-marker').waitFor({ state: 'detached' });
    const file = join(s.workspace, 'my-trm.trm.json');
    assert.ok(existsSync(file), `saved in ${s.workspace}: ${readdirSync(s.workspace).join(', ')}`);
    const saved = parseDocument(readFileSync(file, 'utf8'));
    assert.ok(saved.ok);
    assert.ok(saved.doc.main.nodes.some((n) => n.id === 'attention' && n.params.headDim === 32));

    await page.getByRole('button', { name: 'New' }).click();
    await page.locator('.react-flow__node').first().waitFor({ state: 'detached' });
    await page.keyboard.press('Control+o');
    await page.locator('[data-file="my-trm.trm.json"]').click();
    await node(page, 'attention').waitFor();
    assert.equal(await page.locator('.react-flow__node').count(), trm.main.nodes.length + 1);
    assert.equal(await until(() => paramsOf('attention'), attention(32)), attention(32));
  });

  it('duplicates and copy-pastes the selection', async () => {
    const { page } = s;
    await node(page, 'embed').locator('.trm-node-title').click();
    await page.keyboard.press('Control+d');
    await node(page, 'embed_2').waitFor();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await node(page, 'embed_3').waitFor();
    assert.equal(await paramsOf('embed_3'), await paramsOf('embed'));
    // Cut removes the copy; pasting brings it back under the same free id.
    await page.keyboard.press('Control+x');
    await node(page, 'embed_3').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+v');
    await node(page, 'embed_3').waitFor();
  });

  it('keeps unsaved work through a crash and offers it back', async () => {
    const recovery = join(s.workspace, '.trm-studio/recovery.json');
    const hasCopies = () =>
      existsSync(recovery) && readFileSync(recovery, 'utf8').includes('embed_3');
    assert.equal(await until(async () => hasCopies(), true), true);
    // A second window stands for the app started again after the first one died.
    const again = await s.context.newPage();
    await again.goto(s.host.url);
    await again.getByTestId('recovery').waitFor();
    await again.getByRole('button', { name: 'Restore' }).click();
    await node(again, 'embed_3').waitFor();
    assert.equal(await again.getByTestId('dirty-marker').count(), 1);
    await again.close();
  });

  it('deletes a selected wire and brings it back with undo', async () => {
    const { page } = s;
    const id = 'puzzle.tokens->embed.tokens';
    const wire = page.getByTestId(`rf__edge-${id}`);
    await wire.locator('.react-flow__edge-textwrapper').click();
    await page.keyboard.press('Delete');
    await wire.waitFor({ state: 'detached' });
    assert.match(
      (await node(page, 'embed').getByTestId('node-diagnostic').textContent()) ?? '',
      /tokens/,
    );
    await page.keyboard.press('Control+z');
    await wire.waitFor();
  });

  it('lists the keyboard shortcuts on ?', async () => {
    const { page } = s;
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 300 } });
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    assert.match((await help.textContent()) ?? '', /Ctrl\+D.*Duplicate/);
    assert.match((await help.textContent()) ?? '', /T.*Show or hide the Train panel/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    // T toggles the Train panel; Ctrl+E opens the export dialog.
    const dock = page.locator('.train-dock');
    const hidden = async () => (await dock.getAttribute('class'))?.includes('hidden') ?? false;
    const before = await hidden();
    await page.keyboard.press('t');
    assert.equal(await until(hidden, !before, 5000), !before);
    await page.keyboard.press('t');
    assert.equal(await until(hidden, before, 5000), before);
    await page.keyboard.press('Control+e');
    const exportDialog = page.getByRole('dialog', { name: /Export/ });
    await exportDialog.waitFor();
    await exportDialog.getByRole('button', { name: 'Close' }).click();
    await exportDialog.waitFor({ state: 'detached' });
  });

  it('loads every template with zero diagnostics', async () => {
    const { page } = s;
    const ids = readdirSync('templates')
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    assert.ok(ids.length >= 2);
    for (const id of ids) {
      await page.getByRole('button', { name: 'Templates' }).click();
      await loadTemplate(page, id);
      assert.equal(await status(), 'Valid', id);
    }
    assert.deepEqual(s.pageErrors, []);
  });
});
