import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { fakeWebGpu } from '../../test/support/fake-webgpu.ts';
import { backendNotice, selectBackend } from './backend.ts';
import {
  adapterName,
  noAdapterSentence,
  provideWebGpu,
  summarize,
  type GpuAdapterInfo,
} from './webgpu.ts';

/** The webgpu backend re-registered over a fake provider whose adapter is `info`. */
function fakeGpu(info: GpuAdapterInfo | null): void {
  provideWebGpu(fakeWebGpu(info));
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
}

const one = (s: string) => assert.equal(s.split(/\.\s/).length, 1, `one sentence: ${s}`);

describe('the webgpu backend in the chain', () => {
  after(() => provideWebGpu(undefined));

  it('says in one sentence why Dawn finds no adapter, per platform', () => {
    for (const p of ['linux', 'darwin', 'win32'] as const) {
      const s = noAdapterSentence(p);
      assert.match(s, /^Dawn found no WebGPU adapter: .+\.$/);
      one(s);
    }
    assert.match(noAdapterSentence('linux'), /Vulkan/);
    assert.match(noAdapterSentence('darwin'), /Metal/);
  });

  it('names adapters and tells software renderers apart', () => {
    const sw = summarize({ vendor: 'google', architecture: 'swiftshader' });
    assert.equal(sw.software, true);
    assert.equal(adapterName(sw), 'google swiftshader (software)');
    const hw = summarize({ vendor: 'nvidia', architecture: 'ampere', device: 'RTX 3060' });
    assert.equal(hw.software, false);
    assert.equal(adapterName(hw), 'nvidia ampere');
    assert.equal(summarize({ vendor: 'x', architecture: 'y' }, true).software, true);
  });

  it('without an adapter, auto selects as before and notices nothing', async () => {
    fakeGpu(null);
    const r = await selectBackend();
    const web = r.attempts.find((a) => a.backend === 'webgpu');
    assert.equal(web?.ok, false);
    assert.equal(web?.reason, 'this browser offers no WebGPU adapter');
    assert.notEqual(r.active, 'webgpu');
    assert.equal(r.adapter, undefined);
    assert.equal(backendNotice(r), undefined);
    await assert.rejects(selectBackend('webgpu'), /webgpu: this browser offers no WebGPU adapter/);
  });

  it('auto passes a software adapter by, naming it; --backend webgpu uses it', async () => {
    fakeGpu({ vendor: 'google', architecture: 'swiftshader' });
    const auto = await selectBackend();
    assert.notEqual(auto.active, 'webgpu');
    const web = auto.attempts.find((a) => a.backend === 'webgpu');
    assert.match(web?.reason ?? '', /only WebGPU adapter is google swiftshader \(software\)/);
    one(web!.reason!);
    assert.equal(backendNotice(auto), undefined);
    const forced = await selectBackend('webgpu');
    assert.equal(forced.active, 'webgpu');
    assert.equal(forced.device, 'cpu');
    assert.match(
      backendNotice(forced) ?? '',
      /google swiftshader \(software\), which runs on the CPU/,
    );
  });

  it('auto takes a hardware adapter after tensorflow-gpu, as a GPU', async () => {
    fakeGpu({ vendor: 'nvidia', architecture: 'ampere' });
    const r = await selectBackend();
    assert.equal(r.active, 'webgpu');
    assert.equal(r.device, 'gpu');
    assert.deepEqual(
      r.attempts.map((a) => a.backend),
      ['tensorflow-gpu', 'webgpu'],
    );
    assert.equal(r.adapter?.vendor, 'nvidia');
    assert.equal(backendNotice(r), 'Training on WebGPU: nvidia ampere.');
    await selectBackend('cpu');
  });
});
