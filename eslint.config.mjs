// Type-checked lint (typescript-eslint) over every TypeScript source the project compiles; part of
// `npm test`. The promise rules are the point: a floating promise in the extension host or the SDK
// host is an unhandled rejection nobody sees, and an async callback where VS Code expects a void
// return drops its errors.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', 'out/**', '**/node_modules/**', 'test-output/**', '.stryker-tmp/**', 'reports/**'],
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // The finder compares ESTree `node.type` with string literals, the idiom of every ESTree
      // walker; AST_NODE_TYPES is a string enum of exactly those values.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // An async function that awaits nothing is how a promise-returning contract is met plainly.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The VS Code suites' index files load bundled test modules with require(), in order, after
    // mocha's globals exist: an import would be hoisted above that.
    files: ['test/vscode/**/index.ts', '**/*.d.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests put whatever they got into their failure messages.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-base-to-string': 'off' },
  },
);
