import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BuildOptions } from 'esbuild';
import { join } from 'node:path';
import { ensureRendererBuilt, ROOT, serve } from '../engine/host/main.ts';

/**
 * `npm start`: the Electron app where Electron's binary can be had, otherwise the same UI in
 * browser mode. Electron downloads its binary on first use; machines that cannot reach that
 * download (CI, air-gapped servers) get the web host instead.
 */

const OUT = join(ROOT, 'out/electron');

/** The binary's path, downloading it on first use (bounded, so a dead network cannot hang us). */
function electronBinary(): string | undefined {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const path = probe.status === 0 ? probe.stdout.trim() : '';
  return path && existsSync(path) ? path : undefined;
}

/** Bundle main (ESM) and preload (CJS: sandboxed preloads cannot be modules) with esbuild. */
async function bundle(): Promise<void> {
  // esbuild comes with tsx, which runs this project's TypeScript.
  const esbuild = await import('esbuild');
  const common: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'node22',
    external: ['electron'],
    logLevel: 'warning',
  };
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'electron/main.ts')],
    outfile: join(OUT, 'main.mjs'),
    format: 'esm',
  });
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'electron/preload.ts')],
    outfile: join(OUT, 'preload.cjs'),
    format: 'cjs',
  });
}

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  await ensureRendererBuilt(log);
  const binary = process.env.TRM_BROWSER_MODE ? undefined : electronBinary();
  if (binary) {
    await bundle();
    const child = spawn(binary, [join(OUT, 'main.mjs')], {
      stdio: 'inherit',
      env: { ...process.env, TRM_ROOT: ROOT },
    });
    child.on('exit', (code) => process.exit(code ?? 0));
    return;
  }
  console.log(
    "Electron's binary is not available on this machine (it downloads on first use and that failed), so TRM Studio runs in browser mode instead.",
  );
  const host = await serve({ log });
  console.log(`\n  ${host.url}\n\nOpen that address in a browser; press Ctrl+C to stop.`);
  const stop = () => void host.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: Error) => {
  console.error(`TRM Studio could not start: ${e.message}`);
  process.exit(1);
});
