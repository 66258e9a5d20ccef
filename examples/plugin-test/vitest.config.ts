import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Used by `npm run example:plugin-test` (vitest run --config examples/plugin-test/vitest.config.ts).
// In your own plugin's repository this is your vitest config.
export default defineConfig({
  test: {
    // The tests next to this file, wherever vitest is started from.
    dir: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.test.ts'],
    // One line per check.
    reporters: ['verbose'],
    // A conformance run starts the plugin a few dozen times in fresh network namespaces.
    testTimeout: 30_000,
    hookTimeout: 150_000,
  },
});
