import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Tests run the TypeScript sources; Piscina workers and child processes inherit tsx.
    execArgv: ['--import', 'tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A busy 2-core machine: conditions polled for may take seconds, never a test's outcome.
    expect: { poll: { timeout: 30_000 } },
    // Two cores: crash tests fork processes of their own, so keep file parallelism modest.
    maxWorkers: 2,
  },
});
