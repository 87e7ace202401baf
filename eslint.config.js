// Lint rules. Pure layers (ul, dimse, policy, config schema, audit events) must not import I/O
// modules: STYLE rule 1, so codecs and policy stay testable without sockets.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const io = ['node:net', 'node:tls', 'node:fs', 'node:fs/promises', 'node:dgram', 'node:child_process', 'pino', 'prom-client', 'fastify'];
const ioPaths = io.map((name) => ({ name, message: 'pure layer: no I/O imports (see STYLE.md rule 1)' }));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.test-work/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/ul/**/*.ts', 'src/dimse/**/*.ts', 'src/policy/**/*.ts', 'src/config/schema.ts', 'src/audit/events.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ioPaths }] },
  },
);
