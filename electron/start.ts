import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureRendererBuilt, ROOT, serve } from '../engine/host/main.ts';
import { bundleElectron, installedElectron, MAIN } from './build.ts';

/**
 * `npm start`: the Electron app where Electron's binary can be had, otherwise the same UI in
 * browser mode. Electron downloads its binary on first use; machines that cannot reach that
 * download (CI, air-gapped servers) get the web host instead.
 */

/**
 * The binary's path, downloading it on first use (bounded, so a dead network cannot hang us).
 * Electron's own install script is not approved in package.json's allowScripts, so `npm ci`
 * never fails offline; it runs here instead, the first time the app starts.
 */
function electronBinary(): string | undefined {
  const ready = installedElectron();
  if (ready) return ready;
  spawnSync(process.execPath, [join(ROOT, 'node_modules/electron/install.js')], {
    cwd: ROOT,
    timeout: 120_000,
    stdio: 'ignore',
  });
  return installedElectron();
}

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  await ensureRendererBuilt(log);
  const binary = process.env.TRM_BROWSER_MODE ? undefined : electronBinary();
  if (binary) {
    await bundleElectron();
    const child = spawn(binary, [MAIN], {
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
