import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';

/**
 * page.ts and everything it imports (engine/train, the executor, tfjs and its WebGPU backend)
 * as one browser script. The engine's Node-only modules (files, checkpoints, the native
 * addon, tokenizers) come along because the trainer imports them; the page never calls them,
 * so their Node built-ins become stand-ins that throw, naming what the page lacks.
 */

/** Stand-ins the engine calls while its modules load, or on the page's path. */
const WORKING: Record<string, string> = {
  // Called at module load (backend.ts, webgpu.ts, bpe.ts): a require that resolves nothing,
  // so optional packages read as not installed.
  'node:module': `export function createRequire() {
    const r = () => { throw new Error('require is not available in the page'); };
    r.resolve = (id) => { throw new Error(id + ' cannot be resolved in the page'); };
    return r;
  }`,
  // native/build.ts and io/source-root.ts compute paths at load; nothing is read from them.
  'node:url': `export const fileURLToPath = (u) => new URL(u).pathname;
    export const pathToFileURL = (p) => new URL(p, 'file://');`,
  'node:path': `export const join = (...p) => p.join('/');
    export const resolve = (...p) => p.join('/');
    export const dirname = (p) => p.replace(/\\/[^/]*$/, '');
    export const basename = (p) => p.replace(/^.*\\//, '');`,
  // The memory preflight (train/preflight.ts) sizes the run against the machine.
  'node:os': `export const totalmem = () => (navigator.deviceMemory ?? 4) * 2 ** 30;`,
};

async function standIn(id: string): Promise<string> {
  const working = WORKING[id] ?? '';
  const defined = new Set(
    [...working.matchAll(/export (?:const|function) (\w+)/g)].map((m) => m[1]),
  );
  const names = id.startsWith('node:')
    ? Object.keys((await import(id)) as object).filter(
        // Names the page has as globals (URL, TextEncoder) stay the browser's.
        (n) =>
          /^[A-Za-z_$][\w$]*$/.test(n) && !(n in globalThis) && n !== 'default' && !defined.has(n),
      )
    : [];
  const missing = (n: string) =>
    `export const ${n} = () => { throw new Error('${id} ${n} is not available in the page'); };`;
  return [working, ...names.map(missing), 'export default {};'].join('\n');
}

const nodeOnly: Plugin = {
  name: 'node-only',
  setup(b) {
    b.onResolve({ filter: /^(node:.*|tokenizers)$/ }, (a) => ({
      path: a.path,
      namespace: 'stand-in',
    }));
    b.onLoad({ filter: /.*/, namespace: 'stand-in' }, async (a) =>
      a.path.startsWith('node:')
        ? { contents: await standIn(a.path), loader: 'js' }
        : // A package (no names to list): its imports read as undefined.
          { contents: 'module.exports = {};', loader: 'js' },
    );
  },
};

/** The page's script as text (esm). */
export async function bundleParityPage(): Promise<string> {
  const r = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'error',
    plugins: [nodeOnly],
    // Modules read process at load (native/build.ts asks whether it is the script run): a
    // process of no arguments and no environment, which is no Node (no process.versions).
    // The trainer yields to the event loop between steps with Node's setImmediate.
    banner: {
      js: [
        "const pageProcess = { env: {}, argv: [], platform: 'browser', arch: '' };",
        'globalThis.setImmediate ??= (f, ...args) => setTimeout(f, 0, ...args);',
      ].join('\n'),
    },
    define: { process: 'pageProcess' },
  });
  return r.outputFiles[0]!.text;
}
