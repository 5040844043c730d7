import { defineConfig } from 'vitest/config';

/**
 * Browser suite (`npm run test:e2e`): drives the built server in Debian's Chromium through
 * playwright-core. Separate from `npm test` because it needs /usr/bin/chromium and a build.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts a server and a browser: one at a time on a 2-core machine.
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ['default'],
  },
});
