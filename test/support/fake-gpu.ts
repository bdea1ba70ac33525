import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { GpuAdapterInfo, WebGpuModule, WebGpuProvider } from '../../engine/runtime/webgpu.ts';

/**
 * A WebGPU provider standing in for Dawn or a page: its adapter is `info` (null: none), and the
 * "WebGPU backend" it registers is tfjs's CPU one, so backend selection and doctor can be
 * tested on any machine.
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
