import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { noAdapterSentence, vulkanLoader } from '../../engine/runtime/webgpu.ts';

describe('WebGPU: the Vulkan loader asked for before Dawn', () => {
  it('looks on LD_LIBRARY_PATH first, then the system folders', () => {
    const seen: string[] = [];
    const found = vulkanLoader({ LD_LIBRARY_PATH: '/opt/a:/opt/b' }, (p) => {
      seen.push(p);
      return p === '/opt/b/libvulkan.so.1' || p === '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
    });
    assert.equal(found, '/opt/b/libvulkan.so.1');
    assert.deepEqual(seen.slice(0, 2), ['/opt/a/libvulkan.so.1', '/opt/b/libvulkan.so.1']);
    assert.equal(
      vulkanLoader({}, (p) => p === '/usr/lib64/libvulkan.so.1'),
      '/usr/lib64/libvulkan.so.1',
    );
    const none = () => '';
    assert.equal(
      vulkanLoader({}, () => false, none),
      undefined,
    );
    // Only the linker's cache knows it (a folder named in /etc/ld.so.conf itself).
    const cache = '\tlibvulkan.so.1 (libc6,x86-64) => /opt/vk/lib/libvulkan.so.1\n';
    assert.equal(
      vulkanLoader(
        {},
        () => false,
        () => cache,
      ),
      '/opt/vk/lib/libvulkan.so.1',
    );
  });

  it('says in one sentence why there is no adapter', () => {
    assert.equal(
      noAdapterSentence('linux', 'no libvulkan.so.1 is on the library path'),
      'Dawn found no WebGPU adapter: it needs a Vulkan driver (libvulkan.so.1 and a GPU ICD such as Mesa RADV, ANV or NVIDIA), and no libvulkan.so.1 is on the library path.',
    );
    assert.match(noAdapterSentence('darwin'), /needs Metal, and none it can use is installed\.$/);
  });

  it('without a loader, trm doctor prints no warning from Dawn (it is not started)', async (t) => {
    if (process.platform !== 'linux' || vulkanLoader())
      return t.skip('a Vulkan loader is installed here');
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/trm.js', 'doctor'], {
      env: { ...process.env, LD_LIBRARY_PATH: '' },
    }).catch((e: { stdout: string; stderr: string }) => e);
    assert.doesNotMatch(stderr, /Couldn't load Vulkan|BackendVk/);
    assert.match(stdout, /webgpu: Dawn found no WebGPU adapter: .*no libvulkan\.so\.1/);
  });
});
