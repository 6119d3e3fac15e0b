import { defineConfig } from 'vitest/config';

// The tier is the folder: test/unit, test/integration, test/infra, test/system.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Guards against a hang, not measures of speed: generous, so a busy machine passes
    // (scripts/test-under-load.sh); no test asserts on time.
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
