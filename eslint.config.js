// @ts-check
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import reelforge from './tools/lint/boundaries.js';

const testFiles = ['**/test/**/*.ts', 'bench/**/*.ts', 'vitest.config.ts'];

export default defineConfig(
  { ignores: ['**/node_modules/**', 'bench/results/**', '.nx/**', '.data/**'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    plugins: { reelforge },
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      'reelforge/boundaries': 'error',
      // Numbers and booleans read fine in messages; objects and nullish values do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Async functions often implement a Promise-returning interface without awaiting;
      // no-floating-promises and no-misused-promises catch the mistakes that matter.
      '@typescript-eslint/require-await': 'off',
      // With noUncheckedIndexedAccess every index read is possibly undefined; `!` after a
      // length or existence check is the honest assertion, and a wrong one throws at once.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // TypeScript's narrowing does not see a flag or `signal.aborted` change across an await or
      // inside a callback, so in this event-driven code most of its reports were false.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Flags library objects (MikroORM, ws) that the libraries themselves built.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    // Tests read JSON bodies, build fakes and assert shapes; an unexpected shape fails the test anyway.
    files: testFiles,
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-meaningless-void-operator': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-misused-spread': 'off',
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
      // Tests check how non-Error rejections are reported.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-dynamic-delete': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The dashboard's browser script (no build step).
    files: ['services/gateway/src/dashboard/static/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        ['document', 'location', 'sessionStorage', 'fetch', 'WebSocket', 'URL', 'crypto', 'setTimeout'].map((g) => [
          g,
          'readonly',
        ]),
      ),
    },
  },
  // The few JavaScript files (this config, the lint rule, the dashboard) are checked without type information.
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
  prettier,
);
