// Lint rules that protect what matters here: no forgotten awaits (a dropped activity or timer
// promise is a logic bug), and no Node built-ins or I/O modules inside workflow code (workflows
// must be deterministic and run in Temporal's sandbox).
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.filter((m) => m !== 'assert');
const bannedInWorkflows = [
  ...nodeBuiltins,
  ...nodeBuiltins.map((m) => `node:${m}`),
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'node-zookeeper-client',
  'pkgcloud',
  'hot-shots',
  'pino',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'tools/venv/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: bannedInWorkflows }],
      'no-restricted-globals': ['error', 'process', 'setInterval', 'require'],
    },
  },
);
