import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'out/**', 'viz/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
