// @ts-check
/**
 * Lint: ESLint's and typescript-eslint's recommended rules (syntax only, no type information,
 * so a run takes seconds), the layers of docs/architecture.md enforced by
 * eslint-plugin-boundaries, and eslint-config-prettier last so formatting is left to prettier.
 */
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Who may import whom. An import inside one element (a library's own files, one app's own files) is not checked. */
const layers = {
  plugins: { boundaries },
  settings: {
    // Resolves the @lib/* aliases of tsconfig.json, so an alias import is judged by the file it reaches.
    'import/resolver': { typescript: { project: './tsconfig.json' } },
    'boundaries/elements': [
      { type: 'domain', pattern: 'libs/domain' },
      { type: 'lib', pattern: 'libs/*', capture: ['name'] },
      { type: 'app', pattern: 'apps/*', capture: ['name'] },
      { type: 'tooling', pattern: ['test', 'bench', 'scripts'] },
    ],
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        message:
          'Layer boundary: {{from.type}}{{#if from.captured.name}} {{from.captured.name}}{{/if}} may not import ' +
          '{{to.type}}{{#if to.captured.name}} {{to.captured.name}}{{/if}} (docs/architecture.md, "Import rules")',
        policies: [
          // libs/domain: no policy, so it imports nothing of ours but its own files.
          // Libraries import the domain and each other, never an application.
          { from: { element: { type: 'lib' } }, allow: { to: { element: { types: { anyOf: ['domain', 'lib'] } } } } },
          // Applications import libraries, never each other (what both need lives in a library: @lib/platform).
          { from: { element: { type: 'app' } }, allow: { to: { element: { types: { anyOf: ['domain', 'lib'] } } } } },
          // Tests, benchmarks and scripts may import anything.
          {
            from: { element: { type: 'tooling' } },
            allow: { to: { element: { types: { anyOf: ['domain', 'lib', 'app', 'tooling'] } } } },
          },
        ],
      },
    ],
  },
};

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'data/', 'demo-data/', '.scratch/'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused on purpose: a leading underscore says so (`_what`, `{ d: _private, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    ...layers,
  },
  {
    // The agent desk runs in the browser: it knows the service by its HTTP API only.
    files: ['apps/desk/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@lib/*', 'node:*', '**/libs/**'], message: 'The desk runs in the browser and talks to the service over HTTP only' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/testing/**', 'test/**'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    // CommonJS: jest.config.js, scripts, the TypeScript loaders of worker threads.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
