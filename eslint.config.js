// Lint rules that keep the layers in docs/architecture.md honest: each boundary is an error.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

const noNode = { group: nodeBuiltins, message: 'Node modules are not available here.' };
const noElectron = {
  group: ['electron', 'electron/*'],
  message: 'Only src/main and src/preload may use Electron.',
};
const noReact = {
  group: ['react', 'react-dom', 'react-dom/*'],
  message: 'React belongs to the renderer.',
};
const noMain = {
  group: ['**/main/**', '**/preload/**'],
  message: 'Talk to the main side through the contract in src/shared.',
};
const noRenderer = {
  group: ['**/renderer/**'],
  message: 'The renderer is a client of the contract, not a library.',
};

export default tseslint.config(
  {
    // Build output, dependencies and local scratch folders (all gitignored).
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-results/**',
      'e2e/artifacts/**',
      '.scratch/**',
      '.shoebox-dev/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noNode, noElectron, noReact, noMain, noRenderer] },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', { patterns: [noNode, noElectron, noMain] }] },
  },
  {
    files: ['src/main/engine/**/*.ts', 'src/main/cli/**/*.ts', 'src/main/serve/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noReact, noRenderer] }] },
  },
  {
    // Only the IPC registration in main and the preload may touch ipcMain / ipcRenderer.
    files: ['src/main/**/*.ts', 'src/preload/**/*.ts'],
    ignores: [
      'src/main/ipc.ts',
      'src/preload/index.ts',
      'src/main/engine/**',
      'src/main/cli/**',
      'src/main/serve/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: ['ipcMain', 'ipcRenderer'],
              message: 'IPC lives in src/main/ipc.ts and src/preload/index.ts only.',
            },
          ],
          patterns: [noReact, noRenderer],
        },
      ],
    },
  },
);
