// Lint: TypeScript rules everywhere, plus the process boundaries as rules, so a wrong import fails
// the build instead of a review.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { layersPlugin } from './test/lint/layer-map.mjs';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', '.lab/**', 'resources/**/*.py', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: 'Raw IPC lives only in main/index.ts and preload/index.ts.' }] },
      ],
    },
  },
  {
    // Services are plain Node modules: only the Electron adapter may import electron.
    files: ['main/**/*.ts'],
    ignores: ['main/index.ts', 'main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Services never import electron; add an adapter in main/electron/.' }] }],
    },
  },
  {
    files: ['main/index.ts', 'preload/index.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The renderer reaches main only through the contract.
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer has no Electron; use the WorkbenchApi.' }],
          patterns: [{ group: ['**/main/**', 'node:*'], message: 'The renderer reaches main only through preload/api.ts.' }],
        },
      ],
    },
  },
  {
    // The layer map (docs/ARCHITECTURE.md): nothing imports upward or sideways into a sibling feature.
    files: ['main/**/*.ts', 'renderer/src/**/*.{ts,tsx}', 'resources/**/*.ts'],
    plugins: { civic: layersPlugin },
    rules: { 'civic/layers': 'error' },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
