import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  hasChromium,
  openApp,
  openTrainPanel,
  runStatus,
  SKIP_REASON,
  until,
  type Session,
} from './harness.ts';

/**
 * LoRA as a person sets it: tiny-gpt, the Train panel's `lora` field filled with adapters on
 * the q and v projections, Start; the status bar's meter then reads trainable against frozen.
 * A pattern that matches nothing fails the run with the sentence listing the matrix weights.
 */
describe(
  'LoRA from the Train panel (browser mode)',
  { skip: SKIP_REASON, timeout: 240_000 },
  () => {
    let s: Session;
    before(async () => {
      if (hasChromium) s = await openApp();
    });
    after(async () => {
      await s?.close();
    });

    it('trains adapters only and the meter shows trainable vs frozen', async () => {
      const { page } = s;
      await openTrainPanel(page, 'tiny-gpt', {
        batch: '4',
        steps: '3',
        evalEvery: '0',
        evalExamples: '8',
        warmup: '1',
        lora: '{"targets": ["*/attn/w{q,v}"], "rank": 4}',
      });
      await page.getByRole('button', { name: /Start training/ }).click();
      assert.equal(await until(() => runStatus(page), 'completed', 90_000), 'completed');
      const status = (await page.getByTestId('run-status').textContent()) ?? '';
      // 4 adapted [128, 128] projections: A [128, 4] + B [4, 128] each = 4,096 values.
      assert.match(status, /^completed · 4,096 trainable · [\d,]+ frozen params$/);
      mkdirSync('test-results/screenshots', { recursive: true });
      await page.screenshot({ path: 'test-results/screenshots/lora-meter.png' });

      await page.locator('#train-lora').fill('{"targets": ["*/mlp/wq"]}');
      await page.getByRole('button', { name: /Start training/ }).click();
      assert.equal(await until(() => runStatus(page), 'failed', 30_000), 'failed');
      await until(
        async () =>
          (await page.getByTestId('train-panel').textContent())?.includes(
            'matches no matrix weight',
          ),
        true,
        10_000,
      );
      const panel = (await page.getByTestId('train-panel').textContent()) ?? '';
      assert.match(panel, /The LoRA target "\*\/mlp\/wq" matches no matrix weight of this graph/);
      await page.screenshot({ path: 'test-results/screenshots/lora-error.png' });
      assert.deepEqual(s.pageErrors, []);
    });
  },
);
