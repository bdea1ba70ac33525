/**
 * Builds the optional native kernel addon (`npm run build:native`). No node-gyp: one compiler
 * call against Node's own headers (N-API is ABI-stable, so the result also loads in Electron)
 * and the platform BLAS (OpenBLAS on Linux, Accelerate on macOS). When the toolchain or the
 * BLAS is missing it prints one line saying what to install and exits 0 unless `--strict`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inSource } from '../../io/source-root.ts';

const here = dirname(fileURLToPath(import.meta.url));
// From the source root, not `here`: the Electron main bundle (out/electron) loads it too.
export const ADDON_PATH = inSource('engine/runtime/native/build/trm_native.node');

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Node's headers (node_api.h) next to the running binary, or where Debian puts them. */
function nodeInclude(): string | undefined {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

export function buildNative(): { ok: true } | { ok: false; reason: string } {
  const cxx = ['c++', 'g++', 'clang++'].find(which);
  if (!cxx) return { ok: false, reason: 'no C++ compiler found (install g++ or clang++)' };
  const inc = nodeInclude();
  if (!inc) return { ok: false, reason: "Node's headers (node_api.h) were not found" };
  const mac = process.platform === 'darwin';
  const flags = [
    '-O3',
    '-std=c++17',
    '-fPIC',
    // Lets sqrt and rounding vectorise; IEEE inf and NaN semantics stay (no -ffast-math).
    '-fno-math-errno',
    '-fno-trapping-math',
    '-shared',
    '-DNODE_GYP_MODULE_NAME=trm_native',
    // The addon is built on the machine that runs it, so use all of its vector units.
    ...(process.arch === 'x64' ? ['-march=native'] : []),
    `-I${inc}`,
    join(here, 'src', 'kernels.cc'),
    join(here, 'src', 'train.cc'),
    '-o',
    `${ADDON_PATH}.tmp`,
    ...(mac ? ['-undefined', 'dynamic_lookup', '-framework', 'Accelerate'] : ['-lopenblas']),
  ];
  mkdirSync(dirname(ADDON_PATH), { recursive: true });
  try {
    execFileSync(cxx, flags, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = String((e as { stderr?: Buffer }).stderr ?? e);
    const blas = /lopenblas|cannot find -l/.test(err);
    return {
      ok: false,
      reason: blas
        ? 'OpenBLAS was not found (install libopenblas-dev)'
        : `the compiler failed: ${err.split('\n').find((l) => /error/.test(l)) ?? err.slice(0, 200)}`,
    };
  }
  // Rename into place so a concurrent loader never sees a half-written file.
  renameSync(`${ADDON_PATH}.tmp`, ADDON_PATH);
  return { ok: true };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = buildNative();
  if (r.ok) {
    console.log(`native kernels built: ${ADDON_PATH}`);
  } else {
    console.log(`native kernels skipped: ${r.reason}; the stock tfjs backends still work.`);
    if (process.argv.includes('--strict')) process.exit(1);
  }
}
