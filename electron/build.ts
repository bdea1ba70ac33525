import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { ROOT } from '../engine/host/main.ts';

export const OUT = join(ROOT, 'out/electron');
export const MAIN = join(OUT, 'main.mjs');

/** The Electron binary if it is already on disk (never starts a download). */
export function installedElectron(): string | undefined {
  const pkg = join(ROOT, 'node_modules/electron');
  try {
    const path = join(pkg, 'dist', readFileSync(join(pkg, 'path.txt'), 'utf8').trim());
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** How the main process is bundled (shared with the test that checks its run-time paths). */
export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  // Native and tensor packages load from node_modules at run time (training and export).
  external: ['electron', 'onnxruntime-node', '@tensorflow/*', 'tokenizers'],
  logLevel: 'warning',
};

/** Bundle main (ESM) and preload (CJS: sandboxed preloads cannot be modules) with esbuild. */
export async function bundleElectron(): Promise<void> {
  // esbuild comes with tsx, which runs this project's TypeScript.
  const esbuild = await import('esbuild');
  const common = BUNDLE_OPTIONS;
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'electron/main.ts')],
    outfile: MAIN,
    format: 'esm',
  });
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'electron/preload.ts')],
    outfile: join(OUT, 'preload.cjs'),
    format: 'cjs',
  });
}
