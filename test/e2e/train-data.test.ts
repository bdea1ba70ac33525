import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
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
 * Training data from the Train panel in a real browser: a text file chosen in the browser's
 * picker and one dropped on the panel are copied into the workspace; the vocabulary hint
 * names the V the graph needs for characters and for BPE, and sets it in one click; a
 * dropped binary file is refused with a sentence; a run then trains on the dropped text.
 */
describe(
  'training data: pick, drop, tokenizer (browser mode)',
  { skip: SKIP_REASON, timeout: 120_000 },
  () => {
    let s: Session;
    before(async () => {
      if (hasChromium) s = await openApp();
    });
    after(async () => {
      await s?.close();
    });

    const dimV = () => s.page.getByLabel('Value of dim V', { exact: true });

    /** Drop `text` as a file named `name` on the drop zone, as a file manager would. */
    async function dropFile(name: string, text: string) {
      const transfer = await s.page.evaluateHandle(
        ([n, t]) => {
          // Browser globals, typed here: the tests compile without the DOM library.
          const g = globalThis as unknown as {
            DataTransfer: new () => { items: { add(f: unknown): void } };
            File: new (parts: string[], name: string, opts: { type: string }) => unknown;
          };
          const dt = new g.DataTransfer();
          dt.items.add(new g.File([t], n, { type: 'text/plain' }));
          return dt;
        },
        [name, text] as const,
      );
      const zone = s.page.getByTestId('data-drop');
      await zone.dispatchEvent('dragover', { dataTransfer: transfer });
      await zone.dispatchEvent('drop', { dataTransfer: transfer });
    }

    it('copies a chosen file into the workspace and fixes V for characters', async () => {
      const { page } = s;
      await page.locator('[data-template]').first().waitFor();
      await loadTemplate(page, 'tiny-gpt');
      await page.getByTestId('toggle-train').click();
      await page.getByRole('radio', { name: 'Text file' }).click();
      // A small alphabet: a b c d, space, newline + "unknown" = V 7, less than tiny-gpt's.
      await page.getByTestId('data-file-input').setInputFiles({
        name: 'abc corpus.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('abcd abcd\n'.repeat(300)),
      });
      await until(
        async () => (await page.getByLabel('Text file').inputValue()) === 'data/abc corpus.txt',
        true,
        10_000,
      );
      assert.equal(
        readFileSync(join(s.workspace, 'data', 'abc corpus.txt'), 'utf8'),
        'abcd abcd\n'.repeat(300),
      );
      assert.match(
        (await page.getByTestId('data-file-info').textContent()) ?? '',
        /3,000 characters, 301 lines, 7 distinct/,
      );
      // V ≥ 7 already: no hint for characters.
      assert.equal(await page.getByTestId('vocab-hint').count(), 0);

      // BPE needs V equal to its vocabulary size: the hint says so and fixes it.
      await page.locator('#data-tokenizer').selectOption('bpe');
      await page.locator('#data-vocab').fill('300');
      assert.match(
        (await page.getByTestId('vocab-hint').textContent()) ?? '',
        /V is \d+; this data needs 300/,
      );
      await page.getByTestId('set-vocab').click();
      await until(async () => page.getByTestId('vocab-hint').count(), 0, 5000);
      assert.equal(await dimV().inputValue(), '300');
      // The fix is an edit like any other: undo brings the old V back.
      await page.keyboard.press('Control+z');
      await until(async () => (await dimV().inputValue()) !== '300', true, 5000);
      await page.locator('#data-tokenizer').selectOption('char');
    });

    it('refuses a dropped binary file with a sentence naming it', async () => {
      await dropFile('photo.png', '\x89PNG\r\n\x1a\n\0\0\0\rIHDR');
      const error = s.page.getByTestId('train-error');
      await error.waitFor({ timeout: 10_000 });
      assert.match((await error.textContent()) ?? '', /"photo\.png" is not a text file/);
    });

    it('trains on a dropped text file', async () => {
      const { page } = s;
      const text = 'the quick brown fox jumps over the lazy dog. '.repeat(60);
      await dropFile('fox.txt', text);
      await until(async () => page.getByLabel('Text file').inputValue(), 'data/fox.txt', 10_000);
      // 28 distinct characters + "unknown" = 29 > the V we set: the hint fixes V.
      await dimV().fill('8');
      await dimV().blur();
      assert.match(
        (await page.getByTestId('vocab-hint').textContent()) ?? '',
        /V is 8; this data needs at least 29/,
      );
      await page.getByTestId('set-vocab').click();
      assert.equal(await until(() => dimV().inputValue(), '29', 5000), '29');
      for (const [key, value] of Object.entries({ batch: '2', steps: '3', evalEvery: '0' }))
        await page.locator(`#train-${key}`).fill(value);
      await page.getByRole('button', { name: /Start training/ }).click();
      assert.equal(await until(() => runStatus(page), 'completed', 60_000), 'completed');
      assert.equal(await page.getByTestId('train-error').count(), 0);
      assert.deepEqual(s.pageErrors, []);
    });
  },
);
