import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRequire } from 'node:module';
import { NATIVE_BACKEND, registerNativeBackend } from './native/index.ts';
import { explainFailure } from './failures.ts';
import { adapterName, probeWebGpu, startWebGpu, type AdapterSummary } from './webgpu.ts';

/**
 * The chain tried in order; the first that loads wins. `webgpu` (tfjs's WebGPU kernels through
 * Dawn) is any vendor's GPU; `auto` passes a software adapter by, which only a forced
 * `--backend webgpu` uses.
 */
export const BACKEND_CHAIN = [
  'tensorflow-gpu',
  'webgpu',
  'tensorflow',
  'native',
  'wasm',
  'cpu',
] as const;
export type BackendChoice = (typeof BACKEND_CHAIN)[number];

export interface BackendAttempt {
  backend: BackendChoice;
  ok: boolean;
  /** Why it could not be used, in one sentence. */
  reason?: string;
}

/** A backend's reason to be passed by, or the adapter it runs on. */
type Outcome = string | undefined | { adapter: AdapterSummary };

export interface BackendReport {
  active: BackendChoice;
  /** tfjs's own name for the active backend. */
  tfBackend: string;
  attempts: BackendAttempt[];
  device: 'gpu' | 'cpu';
  /** The WebGPU adapter, when the active backend is webgpu. */
  adapter?: AdapterSummary;
}

const require = createRequire(import.meta.url);

// PROD silences tfjs's console banner suggesting tfjs-node; `trm doctor` reports backends instead.
tf.env().set('PROD', true);

async function tryNative(pkg: string): Promise<string | undefined> {
  try {
    require.resolve(pkg);
  } catch {
    return `${pkg} is not installed (optional; it downloads libtensorflow at install time)`;
  }
  try {
    // eslint-disable-next-line layers/literal-import -- pkg is one of the two optional tfjs-node packages
    await import(pkg);
    return (await tf.setBackend('tensorflow'))
      ? undefined
      : `${pkg} loaded but its backend failed to start`;
  } catch (e) {
    return `${pkg} is installed but failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
}

async function tryWebGpu(forced: boolean): Promise<Outcome> {
  const probe = await probeWebGpu();
  if (typeof probe === 'string') return probe;
  if (probe.software && !forced) {
    return `the only WebGPU adapter is ${adapterName(probe)}, a renderer on the CPU that is slower than the CPU backends (--backend webgpu uses it anyway)`;
  }
  return (await startWebGpu()) ?? { adapter: probe };
}

async function tryOne(b: BackendChoice, forced: boolean): Promise<Outcome> {
  switch (b) {
    case 'tensorflow-gpu':
      return tryNative('@tensorflow/tfjs-node-gpu');
    case 'webgpu':
      return tryWebGpu(forced);
    case 'tensorflow':
      return tryNative('@tensorflow/tfjs-node');
    case 'native': {
      const why = registerNativeBackend();
      if (why) return why;
      return (await tf.setBackend(NATIVE_BACKEND))
        ? undefined
        : 'the native backend failed to start';
    }
    case 'wasm': {
      try {
        await import('@tensorflow/tfjs-backend-wasm');
        return (await tf.setBackend('wasm')) ? undefined : 'the wasm backend failed to initialise';
      } catch (e) {
        return `the wasm backend failed to load: ${(e as Error).message}`;
      }
    }
    case 'cpu':
      return (await tf.setBackend('cpu')) ? undefined : 'the pure-JS cpu backend failed to start';
  }
}

let current: BackendReport | undefined;

/**
 * Select the first backend of the chain that loads (or exactly `force`, e.g. from
 * `TRM_BACKEND` or `--backend`). Always returns a report the host shows the user.
 */
export async function selectBackend(force?: string): Promise<BackendReport> {
  const wanted = force ?? process.env.TRM_BACKEND;
  if (wanted && !(BACKEND_CHAIN as readonly string[]).includes(wanted)) {
    throw new Error(`Unknown backend "${wanted}". Use one of: ${BACKEND_CHAIN.join(', ')}.`);
  }
  const chain = wanted ? [wanted as BackendChoice] : BACKEND_CHAIN;
  const attempts: BackendAttempt[] = [];
  for (const b of chain) {
    const outcome = await tryOne(b, wanted !== undefined);
    if (typeof outcome === 'string') {
      attempts.push({ backend: b, ok: false, reason: outcome });
      continue;
    }
    attempts.push({ backend: b, ok: true });
    await tf.ready();
    const adapter = outcome?.adapter;
    current = {
      active: b,
      tfBackend: tf.getBackend(),
      attempts,
      device: b === 'tensorflow-gpu' || (adapter && !adapter.software) ? 'gpu' : 'cpu',
      ...(adapter ? { adapter } : {}),
    };
    return current;
  }
  throw new Error(
    `No backend could start: ${attempts.map((a) => `${a.backend}: ${a.reason?.replace(/\.$/, '')}`).join('; ')}.`,
  );
}

export function currentBackend(): BackendReport | undefined {
  return current;
}

/**
 * What the user should know about the backend chosen, beyond its name: a GPU package that is
 * installed but could not start (a missing driver or CUDA library) — training still runs, on
 * the CPU, but a person who installed the GPU package expects the GPU and must learn why not —
 * and, on WebGPU, the adapter it runs on.
 */
export function backendNotice(report: BackendReport): string | undefined {
  if (report.active === 'webgpu' && report.adapter) {
    return `Training on WebGPU: ${adapterName(report.adapter)}${report.adapter.software ? ', which runs on the CPU and is slower than the native backend' : ''}.`;
  }
  const gpu = report.attempts.find((a) => a.backend === 'tensorflow-gpu');
  if (gpu && !gpu.ok && gpu.reason && !/is not installed/.test(gpu.reason)) {
    return explainFailure(`${gpu.reason} (training runs on ${report.active} instead)`);
  }
  const web = report.attempts.find((a) => a.backend === 'webgpu');
  // No adapter, or only a software one, is the common case and changes nothing: said by doctor.
  if (web && !web.ok && web.reason && /failed/.test(web.reason)) {
    return `The GPU is not used through WebGPU: ${web.reason.replace(/\.$/, '')}; training runs on ${report.active} instead.`;
  }
  return undefined;
}
