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
    files: ['engine/graph/**/*.ts'],
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
              group: ['@tensorflow/*', 'onnxruntime-node', '**/runtime/**', '**/train/**'],
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
