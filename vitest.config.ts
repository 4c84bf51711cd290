import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'bench/**/*.test.ts', 'test/**/*.test.ts'],
    // The CLI tests run bin/shoebox.js, which runs the build in dist/cli: build it first.
    globalSetup: ['test/setup/build-cli.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start worker processes and watchers; two at a time fits two cores.
    maxWorkers: 2,
  },
});
