import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/differential/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real-plugin tests create network namespaces; files still run in parallel, each with its own names.
    pool: 'forks',
  },
});
