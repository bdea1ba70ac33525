import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { GpuAdapterInfo, WebGpuModule, WebGpuProvider } from '../../engine/runtime/webgpu.ts';

/**
 * A WebGPU provider whose adapter is `info` (null: none), so this machine's own adapter (or
 * lack of one) does not decide a test; its "backend" is tfjs's CPU one.
 */
export function fakeWebGpu(info: GpuAdapterInfo | null): WebGpuProvider {
  const adapter = info && {
    info,
    features: new Set<string>(),
    limits: {},
    requestDevice: () => Promise.resolve({}),
  };
  const module = { WebGPUBackend: MathBackendCPU } as unknown as WebGpuModule;
  return { gpu: { requestAdapter: () => Promise.resolve(adapter) }, module };
}
