import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDataArg } from '../../engine/data/data-arg.ts';
import { createDataSource } from '../../engine/data/index.ts';
import { probeWebGpu } from '../../engine/runtime/webgpu.ts';
import { parityDocument } from './documents.ts';
import {
  PARITY_CONFIG,
  compareRuns,
  recordSource,
  relativeErrors,
  replaySource,
  trainFew,
} from './parity.ts';

/**
 * A smoke test of the Node path to WebGPU (Dawn): the template parity across every template
 * runs in Chromium (chromium-parity.test.ts) through the same parity.ts and trainer, so here one
 * template checks that Dawn loads, trains with the CPU's losses and gradient norms (parity.ts
 * states the tolerances) and reads back once per step without a synchronous read, and a
 * distilling run checks the teacher's term, which the page cannot run (its teacher is a run
 * folder on disk). CI has no GPU: Debian's Chromium ships SwiftShader's Vulkan driver, which
 * Dawn takes when pointed at it before the process starts, so this file re-runs itself with
 * that driver where it exists. Skipped, with the reason, where the optional webgpu packages or
 * any adapter are missing.
 */

const CHROMIUM = '/usr/lib/chromium';
const ICD = `${CHROMIUM}/vk_swiftshader_icd.json`;

const rerun = !process.env.VK_ICD_FILENAMES && existsSync(ICD);

describe('training on WebGPU (Dawn) matches the CPU', () => {
  if (rerun) {
    it('on SwiftShader (Chromium’s Vulkan driver)', (t) => {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-reporter=spec', fileURLToPath(import.meta.url)],
        {
          // Without NODE_TEST_CONTEXT the child runs its tests instead of reporting to this run.
          env: {
            ...Object.fromEntries(
              Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'),
            ),
            VK_ICD_FILENAMES: ICD,
            LD_LIBRARY_PATH: CHROMIUM,
          },
          encoding: 'utf8',
        },
      );
      const out = `${r.stdout}${r.stderr}`;
      t.diagnostic(
        out
          .split('\n')
          .filter((l) => /[✔✖﹣#]|skip|parity/.test(l))
          .join('\n'),
      );
      assert.equal(r.status, 0, out);
      const passed = Number(/ℹ pass (\d+)/.exec(out)?.[1] ?? 0);
      if (passed === 0) t.skip(/# (.*)$/m.exec(out)?.[1] ?? 'no template ran on WebGPU');
    });
    return;
  }
  it('blank.json trains on Dawn as on the CPU, one read per step', async (t) => {
    const adapter = await probeWebGpu();
    if (typeof adapter === 'string') return t.skip(adapter);
    const doc = parityDocument('blank.json');
    const { source, recorded } = recordSource(
      await createDataSource(parseDataArg(undefined, doc), PARITY_CONFIG.seed),
    );
    const cpu = await trainFew(doc, source, 'cpu');
    const gpu = await trainFew(doc, replaySource(recorded), 'webgpu');
    t.diagnostic(
      `parity blank.json: loss rel ${relativeErrors(cpu, gpu, 'losses').map((e) => e.toExponential(1))}, ` +
        `grad norm rel ${relativeErrors(cpu, gpu, 'gradNorms').map((e) => e.toExponential(1))}, ` +
        `downloads/step ${gpu.downloads}`,
    );
    assert.equal(gpu.active, 'webgpu');
    assert.deepEqual(compareRuns(cpu, gpu), []);
    // One read per step (loss, norm, predictions together); nothing inside the step.
    assert.deepEqual(
      gpu.downloads,
      gpu.downloads.map(() => 1),
    );
  });
  it('distillation: the teacher term is computed on the device and read in the step’s one read', async (t) => {
    const adapter = await probeWebGpu();
    if (typeof adapter === 'string') return t.skip(adapter);
    // The smallest language model: the teacher's term does not depend on the graph.
    const doc = parityDocument('blank.json');
    const data = () => createDataSource(parseDataArg(undefined, doc), PARITY_CONFIG.seed);
    // The teacher: the same graph trained on the CPU until its predictions are far from the
    // small initialisation's near-uniform ones (a few small steps leave the KL at float noise).
    const teacher = mkdtempSync(join(tmpdir(), 'trm-parity-teacher-'));
    try {
      await trainFew(doc, await data(), 'cpu', {
        outDir: teacher,
        config: { steps: 30, lr: 3e-2 },
      });
      const config = { distill: { teacher, alpha: 0.5, temperature: 1 } };
      const { source, recorded } = recordSource(await data());
      const cpu = await trainFew(doc, source, 'cpu', { config });
      const gpu = await trainFew(doc, replaySource(recorded), 'webgpu', { config });
      t.diagnostic(
        `parity distill: loss rel ${relativeErrors(cpu, gpu, 'losses').map((e) => e.toExponential(1))}, ` +
          `teacher term rel ${relativeErrors(cpu, gpu, 'distillLosses').map((e) => e.toExponential(1))}, ` +
          `downloads/step ${gpu.downloads}`,
      );
      assert.equal(cpu.distillLosses.length, cpu.losses.length);
      assert.ok(
        cpu.distillLosses.every((x) => x > 0.01),
        `teacher term ${cpu.distillLosses}`,
      );
      assert.equal(gpu.active, 'webgpu');
      assert.deepEqual(compareRuns(cpu, gpu), []);
      assert.deepEqual(
        gpu.downloads,
        gpu.downloads.map(() => 1),
      );
    } finally {
      rmSync(teacher, { recursive: true, force: true });
    }
  });
});
