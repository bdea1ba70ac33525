// @ts-check
import tseslint from 'typescript-eslint';

/**
 * Import direction is law: engine/ is a library that never knows which host called it.
 * engine/graph is the pure part (no tensors, no file system) that the renderer may also run.
 */
const hostPackages = ['react', 'react-dom', 'react/*', '@xyflow/*', 'electron', 'electron/*'];

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
    files: ['engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: hostPackages, message: 'engine/ never imports UI or Electron code.' },
            {
              group: ['**/renderer/**', '**/electron/**'],
              message: 'engine/ never imports a host adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    // The renderer runs in a browser sandbox: pure engine code and types only, never Node.
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/engine/**/*.ts',
                '!**/engine/graph/**/*.ts',
                '!**/engine/service/analyze.ts',
              ],
              allowTypeImports: true,
              message: 'renderer/ imports engine types only (besides the pure engine/graph).',
            },
            {
              group: ['@tensorflow/*', 'onnxruntime-*', 'node:*', '**/runtime/**', '**/train/**'],
              message: 'renderer/ never loads tensors, native code or Node built-ins.',
            },
            {
              group: ['**/electron/**', 'electron'],
              message: 'renderer/ reaches hosts via api-client.',
            },
          ],
          paths: ['fs', 'path', 'os', 'child_process', 'crypto', 'worker_threads'].map((name) => ({
            name,
            message: 'renderer/ never imports Node built-ins.',
          })),
        },
      ],
    },
  },
  {
    files: ['engine/graph/**/*.ts', 'engine/service/analyze.ts', 'engine/service/api.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: hostPackages, message: 'engine/ never imports UI or Electron code.' },
            {
              group: ['**/renderer/**', '**/electron/**'],
              message: 'engine/ never imports a host adapter.',
            },
            {
              // train/events.ts is zod schemas only: the API contract validates run events with it.
              group: [
                '@tensorflow/*',
                'onnxruntime-node',
                '**/runtime/**',
                '**/train/**',
                '!**/train/events.ts',
              ],
              message: 'engine/graph is pure: no tensors here (it also runs in the renderer).',
            },
          ],
          paths: [
            { name: 'node:fs', message: 'engine/graph is pure: no file system.' },
            { name: 'fs', message: 'engine/graph is pure: no file system.' },
          ],
        },
      ],
    },
  },
);
