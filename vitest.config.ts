import { defineConfig } from 'vitest/config';

// One run over every package: real NATS and Postgres are started once per run by the global setup
// (libs/testing), and every test isolates itself by unique names (stream prefixes, schemas, ids).
export default defineConfig({
  test: {
    include: [
      'libs/*/test/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'deploy/test/**/*.test.ts',
      'tools/*/test/**/*.test.ts',
    ],
    globalSetup: ['libs/testing/src/global-setup.ts'],
    reporters: ['default', './libs/testing/src/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2 cores: ffmpeg-heavy files must not run side by side.
    fileParallelism: false,
    pool: 'forks',
  },
});
