// @ts-check
import path from 'node:path';
import boundariesExports from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/** The package's types declare an ES default export; Node hands over its CommonJS exports. */
const boundaries = /** @type {import('eslint').ESLint.Plugin} */ (
  /** @type {unknown} */ (boundariesExports)
);

/**
 * Layers. Import direction is law, and this file is the law: every folder is an element type,
 * and each type imports only the types (and packages) below it, whatever the spelling of the
 * specifier (extensionless, `.js`, `.ts`) and whether the import is static, a re-export, a
 * dynamic `import()` or an `import('…')` type. VS Code enforces `common → node → electron-main`
 * the same way. A file in no layer (a new folder, say) is reported until it is given one here.
 *
 *   graph-pure  engine/graph, engine/contract   document schema, shape inference, the IR, the edit
 *                                               reducer, the API contract: the renderer runs them
 *   onnx-pure   engine/onnx                     the ONNX emitter: no files, no tensors
 *   node-only   engine/runtime, train, infer,   tensors, native code, files
 *               data, io, onnx-runtime
 *   service     engine/service                  the facade every host exposes
 *   host        engine/host                     the web host, over the service
 *   cli         engine/cli, bin                 the trm command
 *   electron    electron                        the desktop main process and preload
 *   renderer    renderer                        the browser UI, over api-client
 */
const layers = [
  { type: 'graph-pure', pattern: 'engine/graph' },
  { type: 'graph-pure', pattern: 'engine/contract' },
  { type: 'onnx-pure', pattern: 'engine/onnx' },
  { type: 'node-only', pattern: 'engine/{runtime,train,infer,data,io,onnx-runtime,pytorch}' },
  { type: 'service', pattern: 'engine/service' },
  { type: 'host', pattern: 'engine/host' },
  { type: 'cli', pattern: ['engine/cli', 'bin'] },
  { type: 'electron', pattern: 'electron' },
  { type: 'renderer', pattern: 'renderer' },
].map((layer) => ({ ...layer, partialMatch: false }));

const engineLayers = ['graph-pure', 'onnx-pure', 'node-only', 'service', 'host', 'cli'];
/** Packages that draw or drive a window: the renderer's and Electron's, never the engine's. */
const uiPackages = ['react', 'react-dom', '@xyflow/*', 'elkjs', 'uplot', 'electron'];

const layer = (...types) => ({ element: { types } });
const packages = (...source) => ({ module: { origin: 'external', source } });
const nodeBuiltins = { module: { origin: 'core' } };
const anyPackage = { module: { origin: 'external' } };
const anything = { module: { origin: ['local', 'external', 'core'] } };

/**
 * Per layer: what it may import, and the sentence shown for anything else. Of the policies that
 * match an import the last one decides, so each layer's refusal comes before its allowance.
 */
const edges = [
  {
    from: 'graph-pure',
    allow: [layer('graph-pure'), packages('zod')],
    message:
      'engine/graph and engine/contract are pure (the renderer runs them): they import only each other and zod. Put code that needs Node, tensors or files in a node-only folder (engine/runtime, train, infer, data, io, onnx-runtime) and pass its results in.',
  },
  {
    from: 'onnx-pure',
    allow: [layer('graph-pure', 'onnx-pure'), packages('onnx-proto', 'zod')],
    message:
      'engine/onnx builds ONNX models in memory: it imports only engine/graph, engine/contract, onnx-proto and zod. Reading, writing or checking files with onnxruntime belongs in engine/onnx-runtime; tensors in engine/runtime.',
  },
  {
    from: 'node-only',
    allow: [layer('graph-pure', 'onnx-pure', 'node-only'), nodeBuiltins, anyPackage],
    message:
      'Node-only engine folders (runtime, train, infer, data, io, onnx-runtime) import engine/graph, engine/contract, engine/onnx and each other — never engine/service, a host, the CLI or the UI. Move what both need down a layer.',
  },
  {
    from: 'service',
    allow: [layer('graph-pure', 'onnx-pure', 'node-only', 'service'), nodeBuiltins, anyPackage],
    message:
      'engine/service is the facade the hosts call: it imports the engine below it, never a host (engine/host, electron/), the CLI or the UI.',
  },
  {
    from: 'host',
    allow: [layer('graph-pure', 'service', 'host'), nodeBuiltins, anyPackage],
    message:
      'engine/host is a thin adapter: it reaches the engine through engine/service and engine/contract only.',
  },
  {
    from: 'cli',
    allow: [
      layer('graph-pure', 'onnx-pure', 'node-only', 'service', 'cli'),
      nodeBuiltins,
      anyPackage,
    ],
    message:
      'The trm CLI (engine/cli, bin) imports the engine, never a host (engine/host, electron/) or the UI.',
  },
  {
    from: 'electron',
    allow: [layer('graph-pure', 'service', 'host', 'electron'), nodeBuiltins, anyPackage],
    message:
      'electron/ is a thin adapter: it reaches the engine through engine/service, engine/host and engine/contract only.',
  },
  {
    from: 'renderer',
    allow: [
      layer('graph-pure', 'renderer'),
      packages('react', 'react-dom', '@xyflow/*', 'elkjs', 'uplot', 'zod'),
    ],
    message:
      'renderer/ runs in a browser sandbox: it imports engine/graph and engine/contract (pure) and UI packages — never Node built-ins, tensors, native code, Electron or the Node-only engine. It reaches the engine through api-client.',
  },
].flatMap(({ from, allow, message }) => [
  { from: layer(from), disallow: { to: anything }, message },
  { from: layer(from), allow: allow.map((to) => ({ to })) },
]);

/** Relative specifiers name the TypeScript file itself, as Node, tsx and Vite all load it. */
const tsSpecifier = {
  meta: {
    type: 'problem',
    docs: { description: 'Relative imports name the .ts/.tsx file (or an asset) they load.' },
    schema: [],
  },
  create(context) {
    function check(node) {
      if (node?.type !== 'Literal' || typeof node.value !== 'string') return;
      const spec = node.value;
      if (!spec.startsWith('./') && !spec.startsWith('../')) return;
      const ext = path.extname(spec);
      if (['.ts', '.tsx', '.css', '.json'].includes(ext)) return;
      const fix =
        ext === '.js' || ext === '.jsx' ? spec.slice(0, -ext.length) + '.ts' : `${spec}.ts`;
      context.report({
        node,
        message: `Write '${fix}' (or .tsx), not '${spec}': relative imports name the file they load, so Node, tsx and Vite read them alike and the layer rule sees the real file.`,
      });
    }
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
      TSImportType: (n) => check(n.source),
    };
  },
};

/** `import(x)` with a computed x loads something no lint can see. */
const literalImport = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Dynamic import() takes a string literal, so the layer rule can check it.',
    },
    schema: [],
  },
  create(context) {
    return {
      ImportExpression(node) {
        const s = node.source;
        if (s.type === 'Literal' && typeof s.value === 'string') return;
        context.report({
          node,
          message:
            'import() takes a string literal here, so the layer rule can check what it loads.',
        });
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'renderer/dist/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    plugins: {
      layers: { rules: { 'ts-specifier': tsSpecifier, 'literal-import': literalImport } },
    },
  },
  {
    files: ['**/*.{ts,tsx}', 'bin/**/*.js'],
    rules: { 'layers/ts-specifier': 'error' },
  },
  {
    // Production code of every layer; tests may import across layers to test them.
    files: ['engine/**/*.ts', 'renderer/**/*.{ts,tsx}', 'electron/**/*.ts', 'bin/**/*.js'],
    ignores: ['**/*.test.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { [path.join(import.meta.dirname, 'scripts/eslint-ts-resolver.cjs')]: {} },
      'boundaries/root-path': import.meta.dirname,
      'boundaries/elements': layers,
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      'boundaries/additional-dependency-nodes': [
        { selector: 'TSImportType > Literal', kind: 'type', name: 'import-type' },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          checkAllOrigins: true,
          checkUnknownLocals: true,
          message:
            'This import crosses the layers; eslint.config.js lists what each folder may import.',
          policies: [
            ...edges,
            {
              from: layer(...engineLayers),
              disallow: { to: [layer('renderer', 'electron'), packages(...uiPackages)] },
              message:
                'engine/ never imports the UI or Electron (renderer/, electron/, react, @xyflow, electron): it is a library that every host calls.',
            },
          ],
        },
      ],
      // A file outside every layer (a new folder, say) is reported: give it a layer above.
      'boundaries/no-unknown-files': 'error',
      'layers/literal-import': 'error',
    },
  },
);
