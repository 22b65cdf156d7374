import { defineConfig } from 'vitest/config';

/** Tests share one Redis: integration files run one at a time (CONVENTIONS §2.12). */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
