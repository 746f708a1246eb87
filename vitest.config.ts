import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['tokenwarden-source'] },
  ssr: { resolve: { conditions: ['tokenwarden-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Verifiers warn on the console by default when a key server fails; many tests make them fail
    // on purpose, and the logger's own tests inject one. Keep those lines out of the run's output.
    onConsoleLog: (log, type) => !(type === 'stderr' && log.startsWith('tokenwarden: ')),
    hookTimeout: 30_000,
  },
});
