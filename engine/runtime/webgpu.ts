import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The `webgpu` backend: @tensorflow/tfjs-backend-webgpu on a WebGPU adapter — Dawn's (the
 * optional `webgpu` package) in Node, the browser's own `navigator.gpu` in a page. Both
 * packages are optional: without them, or without an adapter, the chain moves on and says why
 * in one sentence.
 */

/** The parts of the WebGPU API this file touches (the full types are @webgpu/types). */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device?: string;
  description?: string;
}
interface GpuAdapter {
  readonly info: GpuAdapterInfo;
  readonly isFallbackAdapter?: boolean;
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number>;
  requestDevice(descriptor: object): Promise<unknown>;
}
export interface Gpu {
  requestAdapter(options?: object): Promise<GpuAdapter | null>;
}
/** What @tensorflow/tfjs-backend-webgpu exports that is used here. */
export interface WebGpuModule {
  WebGPUBackend: new (device: never, adapterInfo?: never) => tf.KernelBackend;
}

/** Where the adapter comes from: the page's navigator.gpu, or Dawn loaded in this process. */
export interface WebGpuProvider {
  gpu: Gpu;
  module: WebGpuModule;
}

/** What `trm doctor` names: the adapter and whether it is a software renderer. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  software: boolean;
}

export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const;

/** Renderers that run on the CPU: slower than the CPU backends, so `auto` passes them by. */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render/i;

export function summarize(info: GpuAdapterInfo, fallback = false): AdapterSummary {
  const description = [info.device, info.description].filter(Boolean).join(', ');
  const text = `${info.vendor} ${info.architecture} ${description}`;
  return {
    vendor: info.vendor || 'unknown vendor',
    architecture: info.architecture || 'unknown architecture',
    description,
    software: fallback || SOFTWARE.test(text),
  };
}

/** "google swiftshader (software)": the adapter in a few words. */
export function adapterName(a: AdapterSummary): string {
  return `${a.vendor} ${a.architecture}${a.software ? ' (software)' : ''}`;
}

/** Why Dawn finds no adapter here, in one sentence. */
export function noAdapterSentence(
  platform: NodeJS.Platform = process.platform,
  missing = 'none it can use is installed',
): string {
  const needs =
    platform === 'linux'
      ? 'a Vulkan driver (libvulkan.so.1 and a GPU ICD such as Mesa RADV, ANV or NVIDIA)'
      : platform === 'darwin'
        ? 'Metal'
        : 'a Direct3D 12 or Vulkan driver';
  return `Dawn found no WebGPU adapter: it needs ${needs}, and ${missing}.`;
}

/**
 * Where the dynamic linker would find the Vulkan loader (libvulkan.so.1) on Linux: the
 * LD_LIBRARY_PATH folders, those /etc/ld.so.conf.d lists, the system's, then the linker's cache
 * (`ldconfig -p`). Dawn dlopens it
 * and, when it is missing, prints a two-line warning to stderr from native code — on every
 * `trm` command that probes — so the probe asks first and skips Dawn on such a machine.
 */
export function vulkanLoader(
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
  cache: () => string = ldconfigCache,
): string | undefined {
  const listed = (dir: string) => {
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.conf'))
        .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
        .map((l) => l.trim())
        .filter((l) => l.startsWith('/'));
    } catch {
      return [];
    }
  };
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    ...listed('/etc/ld.so.conf.d'),
    ...['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu'],
    ...['/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'],
  ];
  const found = dirs.map((d) => join(d, 'libvulkan.so.1')).find((f) => exists(f));
  if (found) return found;
  // A folder the linker knows from ld.so.conf itself or its cache only.
  return /libvulkan\.so\.1\b.*=> (\S+)/.exec(cache())?.[1];
}

/** What `ldconfig -p` lists (the linker's cache), or nothing when it cannot be asked. */
function ldconfigCache(): string {
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const r = spawnSync(bin, ['-p'], { encoding: 'utf8', timeout: 2000 });
    if (r.status === 0) return r.stdout;
  }
  return '';
}

/** Loads the WebGPU packages in this process: the provider, or why there is none. */
export type WebGpuLoader = () => Promise<WebGpuProvider | string>;

let provided: WebGpuProvider | WebGpuLoader | undefined;

/**
 * A page hands in its own navigator.gpu and the statically bundled package; a test hands in a
 * provider or a loader in place of Dawn's (`undefined`: Dawn's again).
 */
export function provideWebGpu(p: WebGpuProvider | WebGpuLoader | undefined): void {
  provided = p;
  adapter = undefined;
}

const require = createRequire(import.meta.url);

/** Dawn and tfjs's WebGPU backend, each package found by `resolve` (a test passes its own). */
export async function loadDawn(
  resolve: (pkg: string) => string = require.resolve,
): Promise<WebGpuProvider | string> {
  const paths: string[] = [];
  for (const pkg of WEBGPU_PACKAGES) {
    try {
      paths.push(resolve(pkg));
    } catch {
      return `${pkg} is not installed (optional; it ships Dawn's WebGPU for Node)`;
    }
  }
  try {
    // Imported by resolved path: the packages are optional, so tsc and the bundler never see them.
    // eslint-disable-next-line layers/literal-import -- the optional webgpu package, resolved above
    const dawn = (await import(pathToFileURL(paths[0]!).href)) as {
      create(flags: string[]): Gpu;
      globals: object;
    };
    // tfjs-backend-webgpu reads GPUBufferUsage and friends as globals, as in a browser.
    Object.assign(globalThis, dawn.globals);
    // eslint-disable-next-line layers/literal-import -- optional @tensorflow/tfjs-backend-webgpu
    const module = (await import(pathToFileURL(paths[1]!).href)) as WebGpuModule & {
      default?: WebGpuModule;
    };
    const gpu = dawn.create([]);
    // Its backend checks navigator.gpu when constructed (set after its import, so the package
    // does not register itself: startWebGpu registers it on the adapter already probed).
    const g = globalThis as { navigator?: object };
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else g.navigator = { gpu };
    return { gpu, module: module.default ?? module };
  } catch (e) {
    return `the webgpu package is installed but failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
}

let adapter: { provider: WebGpuProvider; adapter: GpuAdapter; summary: AdapterSummary } | undefined;
let dawn: Promise<WebGpuProvider | string> | undefined;

/**
 * Find a WebGPU adapter: the summary, or why there is none (one sentence). Cached, so doctor,
 * the trainer and the bench ask Dawn once per process.
 */
export async function probeWebGpu(): Promise<AdapterSummary | string> {
  if (adapter) return adapter.summary;
  const page = typeof provided === 'object' ? provided : undefined;
  let provider = page;
  if (!provider) {
    // An injected loader (tests) stands in for Dawn and its Vulkan loader.
    if (typeof provided !== 'function' && process.platform === 'linux' && !vulkanLoader())
      return noAdapterSentence('linux', 'no libvulkan.so.1 is on the library path');
    const p = await (typeof provided === 'function' ? provided() : (dawn ??= loadDawn()));
    if (typeof p === 'string') return p;
    provider = p;
  }
  let found: GpuAdapter | null;
  try {
    found = await provider.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return `requesting a WebGPU adapter failed: ${(e as Error).message.split('\n')[0]}`;
  }
  if (!found) return page ? 'this browser offers no WebGPU adapter' : noAdapterSentence();
  const summary = summarize(found.info, found.isFallbackAdapter === true);
  adapter = { provider, adapter: found, summary };
  return summary;
}

/**
 * Register tfjs's WebGPU backend on the adapter found by `probeWebGpu` (the package's own
 * registration asks navigator.gpu, which Node lacks). Returns why it cannot start, or undefined.
 */
export async function startWebGpu(): Promise<string | undefined> {
  const probe = await probeWebGpu();
  if (typeof probe === 'string') return probe;
  const { provider, adapter: a } = adapter!;
  if (tf.findBackendFactory('webgpu')) {
    if (tf.findBackend('webgpu')) return (await tf.setBackend('webgpu')) ? undefined : 'failed';
    tf.removeBackend('webgpu');
  }
  tf.registerBackend(
    'webgpu',
    async () => {
      const l = a.limits;
      // The limits tfjs-backend-webgpu asks for itself (its base.ts), at the adapter's maximum.
      const device = await a.requestDevice({
        requiredFeatures: a.features.has('timestamp-query') ? ['timestamp-query'] : [],
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      return new provider.module.WebGPUBackend(device as never, a.info as never);
    },
    0,
  );
  try {
    return (await tf.setBackend('webgpu'))
      ? undefined
      : `the WebGPU backend failed to start on ${adapterName(adapter!.summary)}`;
  } catch (e) {
    return `the WebGPU backend failed to start: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** The adapter the active webgpu backend runs on, if any. */
export function activeAdapter(): AdapterSummary | undefined {
  return adapter?.summary;
}
