import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    pool: 'forks',
    // Generous: CLI tests spawn many processes on a 2-core machine; a timeout only catches hangs.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a browser or a server does in its own time; on a busy
    // 2-core machine that can take longer than the default second.
    expect: { poll: { timeout: 15_000 } },
  },
});
