import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    pool: 'forks',
    // Generous: CLI tests spawn many processes on a 2-core machine; a timeout only catches hangs.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
