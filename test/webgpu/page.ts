/**
 * The parity page's script (bundled by page-bundle.ts): the trainer of parity.ts on the
 * browser's own WebGPU, driven by chromium-parity.test.ts through `window.parity`.
 */
import * as webgpu from '@tensorflow/tfjs-backend-webgpu';
import {
  probeWebGpu,
  provideWebGpu,
  type AdapterSummary,
  type Gpu,
  type WebGpuModule,
} from '../../engine/runtime/webgpu.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { replaySource, trainFew, type ParityRun, type RecordedSource } from './parity.ts';

export interface ParityPage {
  /** The adapter the webgpu backend would run on, or why there is none. */
  adapter(): Promise<AdapterSummary | string>;
  /** Train `doc` on the recorded stream on WebGPU (PARITY_CONFIG). */
  train(doc: GraphDocument, recorded: RecordedSource): Promise<ParityRun>;
}

const gpu = (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu;
if (gpu) provideWebGpu({ gpu, module: webgpu as unknown as WebGpuModule });

const parity: ParityPage = {
  adapter: () => (gpu ? probeWebGpu() : Promise.resolve('this browser has no navigator.gpu')),
  train: (doc, recorded) => trainFew(doc, replaySource(recorded), 'webgpu'),
};
(globalThis as { parity?: ParityPage }).parity = parity;
