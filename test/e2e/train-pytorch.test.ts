import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunSummary } from '../../engine/contract/api.ts';
import { torchPython } from '../support/python.ts';
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
 * The PyTorch engine from the Train panel, as a person uses it: open the TRM-MLP template,
 * choose "PyTorch" as the engine (the option names the torch version and devices found), set a
 * short run, start it; the curves and progress come from the python process, the notice says
 * PyTorch trained it, the run folder holds the generated project, and the run comes back as a
 * Studio checkpoint (imported) that the Playground, Insight and export read.
 */
describe(
  'training on the PyTorch engine (browser mode)',
  { skip: SKIP_REASON, timeout: 240_000 },
  () => {
    let s: Session;
    let skip: string | undefined;
    before(async () => {
      const torch = await torchPython();
      if (typeof torch === 'string') skip = torch;
      else if (hasChromium) s = await openApp();
    });
    after(async () => {
      await s?.close();
    });

    it('chooses PyTorch, trains a short run with live progress, and keeps the project', async (t) => {
      if (skip) return t.skip(skip);
      const { page } = s;
      await openTrainPanel(page, 'trm-mlp-sudoku', {
        batch: '16',
        steps: '6',
        evalEvery: '3',
        evalExamples: '32',
        checkpointEvery: '3',
      });
      const engine = page.getByLabel('Engine');
      // The option turns on once the host has found python with torch.
      await page.locator('option[value="pytorch"]:not([disabled])').waitFor({ state: 'attached' });
      assert.match(
        (await page.locator('option[value="pytorch"]').textContent()) ?? '',
        /PyTorch \d+\.\d+.*cpu/,
      );
      assert.equal(await page.locator('#train-backend').count(), 1);
      await engine.selectOption('pytorch');
      // tfjs's compute backend means nothing to a PyTorch run: the field goes.
      await page.locator('#train-backend').waitFor({ state: 'detached' });
      assert.match((await page.getByTestId('engine-help').textContent()) ?? '', /PyTorch project/);
      mkdirSync('test-results/screenshots', { recursive: true });
      await page.getByTestId('engine-choice').screenshot({
        path: 'test-results/screenshots/train-pytorch-engine.png',
      });
      const runsDir = join(s.workspace, 'runs');
      const ids = () => (existsSync(runsDir) ? readdirSync(runsDir).sort() : []);
      const before = ids();
      await page.getByRole('button', { name: /Start training/ }).click();
      assert.equal(
        await until(async () => ids().length, before.length + 1, 20_000),
        before.length + 1,
      );
      const id = ids().find((x) => !before.includes(x))!;
      const summary = (): RunSummary | null => {
        try {
          return JSON.parse(readFileSync(join(runsDir, id, 'run.json'), 'utf8')) as RunSummary;
        } catch {
          return null;
        }
      };
      assert.equal(
        await until(async () => summary()?.status, 'completed', 180_000),
        'completed',
        summary()?.message ?? '',
      );
      assert.equal(await until(() => runStatus(page), 'completed'), 'completed');
      assert.match(summary()?.backend ?? '', /^pytorch cpu/);
      // The badge says where it ran, once: not tfjs's 'CPU · pytorch cpu'.
      assert.equal(
        (await page.getByTestId('backend').textContent())?.trim(),
        'Backend CPU · PyTorch cpu',
      );
      assert.equal(summary()?.step, 6);
      assert.match((await page.getByTestId('engine-info').textContent()) ?? '', /PyTorch/);
      // Information, not the warning a backend fallback gets.
      assert.equal(await page.getByTestId('backend-notice').count(), 0);
      await page.screenshot({ path: 'test-results/screenshots/train-pytorch-done.png' });
      const pkg = join(runsDir, id, 'pytorch');
      for (const f of [
        'model.py',
        'train.py',
        'run/metrics.jsonl',
        'run/step-000006/model.safetensors',
      ])
        assert.ok(existsSync(join(pkg, f)), f);
      // Brought into the Studio at the end: a Studio checkpoint the Playground and export read.
      const studio = join(runsDir, id, 'checkpoints', 'step-000006');
      assert.ok(existsSync(join(studio, 'checkpoint.json')), 'the imported Studio checkpoint');
      assert.equal(summary()?.lastCheckpoint, studio);
      await page.screenshot({ path: 'test-results/screenshots/train-pytorch-panel.png' });

      // Export → PyTorch project: the run's weights, data and recipe as a project again.
      await page.getByRole('button', { name: 'Export…' }).click();
      await page.getByRole('button', { name: 'Export PyTorch project' }).click();
      const project = page.getByTestId('pytorch-project');
      await project.waitFor({ timeout: 60_000 });
      const text = (await project.textContent()) ?? '';
      assert.match(text, /Written to .*exports.*-pytorch/);
      assert.match(text, /python train\.py/);
      assert.match(text, /torchrun --nproc_per_node 2 train\.py/);
      const exported = join(runsDir, id, 'exports');
      const folder = readdirSync(exported).find((f) => f.endsWith('-pytorch'))!;
      assert.ok(existsSync(join(exported, folder, 'model.py')));
      await page.getByTestId('pytorch-export').screenshot({
        path: 'test-results/screenshots/train-pytorch-export.png',
      });
      assert.deepEqual(s.pageErrors, []);
    });
  },
);
