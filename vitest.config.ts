import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep workers low so sim VMs and pty tests are not starved.
    maxWorkers: 2,
    pool: 'forks',
  },
});
