import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against sources, so a stale dist never hides a change.
    alias: {
      '@tsam/onnx': pkg('onnx'),
      '@tsam/model': pkg('model'),
      '@tsam/core': pkg('core'),
      '@tsam/node': pkg('node'),
      '@tsam/dataset': pkg('dataset'),
      '@tsam/server': pkg('server'),
      '@tsam/train': pkg('train'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'testing/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Rebuilds a stale dist first: the CLI, server and annotator tests spawn it.
    globalSetup: ['./testing/global-setup.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
