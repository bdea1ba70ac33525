import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../engine/cli/main.ts';
import { fakeWebGpu } from '../support/fake-webgpu.ts';
import {
  loadDawn,
  noAdapterSentence,
  provideWebGpu,
  type GpuAdapterInfo,
} from '../../engine/runtime/webgpu.ts';

/**
 * `trm doctor` on the webgpu line of the chain, with Dawn's loading injected (this machine's
 * own adapter, or lack of one, must not decide the outcome): an adapter it names, none (the
 * one-sentence reason), a software one passed by, and a missing package.
 */

/** A loader standing in for Dawn whose adapter is `info` (null: none). */
const dawnWith = (info: GpuAdapterInfo | null) => () => Promise.resolve(fakeWebGpu(info));

async function doctor(): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const log = (s: string) => lines.push(...s.split('\n'));
  const code = await main(['doctor'], { log, error: log, write: log });
  return { code, lines };
}

const webgpuLine = (lines: string[]) => lines.find((l) => / webgpu(:|$)/.test(l));

describe('trm doctor and WebGPU', () => {
  afterEach(async () => {
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    await tf.setBackend('cpu');
  });
  after(() => provideWebGpu(undefined));

  it('names the adapter it trains on, and the GPU', async () => {
    provideWebGpu(dawnWith({ vendor: 'nvidia', architecture: 'ampere', device: 'RTX 3060' }));
    const { code, lines } = await doctor();
    assert.equal(code, 0, lines.join('\n'));
    assert.equal(webgpuLine(lines), '✓ webgpu');
    assert.ok(lines.includes('active backend: webgpu (GPU)'), lines.join('\n'));
    assert.ok(lines.includes('WebGPU adapter: nvidia, ampere (RTX 3060)'), lines.join('\n'));
  });

  it('without an adapter says why in one sentence and uses the next backend', async () => {
    provideWebGpu(dawnWith(null));
    const { code, lines } = await doctor();
    assert.equal(code, 0, lines.join('\n'));
    assert.equal(webgpuLine(lines), `✗ webgpu: ${noAdapterSentence()}`);
    const active = lines.find((l) => l.startsWith('active backend:'));
    assert.match(active ?? '', /^active backend: (?!webgpu)\S+ \(CPU\)$/);
    assert.ok(!lines.some((l) => l.startsWith('WebGPU adapter:')), lines.join('\n'));
  });

  it('passes a software adapter by, naming it', async () => {
    provideWebGpu(dawnWith({ vendor: 'google', architecture: 'swiftshader' }));
    const { lines } = await doctor();
    assert.match(
      webgpuLine(lines) ?? '',
      /^✗ webgpu: the only WebGPU adapter is google swiftshader \(software\), a renderer on the CPU/,
    );
    assert.doesNotMatch(lines.find((l) => l.startsWith('active backend:')) ?? '', /webgpu/);
  });

  it('with a package missing names it as optional', async () => {
    for (const pkg of ['webgpu', '@tensorflow/tfjs-backend-webgpu']) {
      provideWebGpu(() =>
        loadDawn((id) => {
          if (id === pkg) throw new Error(`Cannot find module '${id}'`);
          return `/nowhere/${id}.js`;
        }),
      );
      const { code, lines } = await doctor();
      assert.equal(code, 0, lines.join('\n'));
      assert.match(
        webgpuLine(lines) ?? '',
        new RegExp(`^✗ webgpu: ${pkg} is not installed \\(optional`),
      );
    }
  });
});
