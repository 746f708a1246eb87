import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['tokenwarden-source'] },
  ssr: { resolve: { conditions: ['tokenwarden-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
