import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Hang guards, not performance bounds: on a shared 2-core machine the heavy suites (the parser
    // fuzz, the ledger model, workerd and Chromium) have taken 55-75 s beside the rest of the suite.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
