import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDataArg } from '../../engine/data/data-arg.ts';
import { createDataSource } from '../../engine/data/index.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { probeWebGpu } from '../../engine/runtime/webgpu.ts';
import { withSmallInit } from '../support/init.ts';
import { compareRuns, recordSource, relativeErrors, replaySource, trainFew } from './parity.ts';

/**
 * Every template trains PARITY_CONFIG.steps steps on WebGPU through Dawn with the CPU's losses
 * and gradient norms (parity.ts states the tolerances), reading back once per step. CI has no
 * GPU: Debian's Chromium ships SwiftShader's Vulkan driver, which Dawn takes when pointed at it
 * before the process starts, so this file re-runs itself with that driver where it exists.
 * Skipped, with the reason, where the optional webgpu packages or any adapter are missing.
 */

const CHROMIUM = '/usr/lib/chromium';
const ICD = `${CHROMIUM}/vk_swiftshader_icd.json`;
/** Sequence length for the language-model templates: the same graph, a shorter context. */
const T = 16;

function load(file: string): GraphDocument {
  const r = parseDocument(readFileSync(`templates/${file}`, 'utf8'));
  assert.ok(r.ok, file);
  const doc = withSmallInit(r.doc);
  const dims = doc.dims as Record<string, number> | undefined;
  return dims?.T ? { ...doc, dims: { ...dims, T } } : doc;
}

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
  for (const file of readdirSync('templates').filter((f) => f.endsWith('.json'))) {
    it(file, async (t) => {
      const adapter = await probeWebGpu();
      if (typeof adapter === 'string') return t.skip(adapter);
      const doc = load(file);
      const { source, recorded } = recordSource(
        await createDataSource(parseDataArg(undefined, doc), 1),
      );
      const cpu = await trainFew(doc, source, 'cpu');
      const gpu = await trainFew(doc, replaySource(recorded), 'webgpu');
      t.diagnostic(
        `parity ${file}: loss rel ${relativeErrors(cpu, gpu, 'losses').map((e) => e.toExponential(1))}, ` +
          `grad norm rel ${relativeErrors(cpu, gpu, 'gradNorms').map((e) => e.toExponential(1))}, ` +
          `downloads/step ${gpu.downloads}, ms/step cpu ${cpu.stepMs.map(Math.round)} webgpu ${gpu.stepMs.map(Math.round)}`,
      );
      assert.deepEqual(compareRuns(cpu, gpu), []);
      // One read per step (loss, norm, predictions together); nothing inside the step.
      assert.deepEqual(
        gpu.downloads,
        gpu.downloads.map(() => 1),
      );
    });
  }
});
