import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests run the TypeScript sources; Piscina workers and child processes inherit tsx.
    execArgv: ['--import', 'tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: crash tests fork processes of their own, so keep file parallelism modest.
    maxWorkers: 2,
  },
});
