import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
 * Templates train PARITY_CONFIG.steps steps on WebGPU through Dawn with the CPU's losses
 * and gradient norms (parity.ts states the tolerances), reading back once per step. CI has no
 * GPU: Debian's Chromium ships SwiftShader's Vulkan driver, which Dawn takes when pointed at it
 * before the process starts, so this file re-runs itself with that driver where it exists.
 * A distilling run checks the teacher's term the same way. Skipped, with the reason, where the
 * optional webgpu packages or any adapter are missing.
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

/**
 * SwiftShader runs a step 5-10x slower than the CPU backend, so by default the templates run
 * are the three whose node kinds together cover every template's: blank, seq2seq-reverse
 * (attention, cross-attention, layer norm, positions, sequence pad/slice) and trm-mlp-sudoku
 * (recursion, deep supervision, halting, puzzle ids, RMS norm, sequence MLP). The others only
 * recombine those kinds; TRM_PARITY_ALL=1 runs them too (every template passed with it when
 * the distillation case was added).
 */
const COVERING = ['blank.json', 'seq2seq-reverse.json', 'trm-mlp-sudoku.json'];
const all = process.env.TRM_PARITY_ALL === '1';

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
      if (!all && !COVERING.includes(file)) {
        return t.skip(
          'its node kinds are covered by the default templates; TRM_PARITY_ALL=1 runs it',
        );
      }
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
  it('distillation: the teacher term is computed on the device and read in the step’s one read', async (t) => {
    const adapter = await probeWebGpu();
    if (typeof adapter === 'string') return t.skip(adapter);
    // The smallest language model: the teacher's term does not depend on the graph.
    const doc = load('blank.json');
    const data = () => createDataSource(parseDataArg(undefined, doc), 1);
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
