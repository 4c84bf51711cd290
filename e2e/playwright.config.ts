// End-to-end specs drive the real UI over the real engine and real files. The same specs run in
// two projects: Chromium (the npm one, see test/helpers/chromium.ts) against `shoebox serve`
// (startServer in-process), and the desktop app through Playwright's _electron when an Electron
// binary is installed.
import { defineConfig } from '@playwright/test';
import { chromiumArgs } from '../test/helpers/chromium.ts';
import type { ShoeboxOptions } from './fixtures.ts';

export default defineConfig<ShoeboxOptions>({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: './artifacts',
  // Finds (and on a fresh clone unpacks) the browser once, before any spec, and names it.
  globalSetup: './global-setup.ts',
  // Two shared cores: one spec at a time, each with its own engine and decode worker.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  // On CI's shared two cores a spec may be retried once; Playwright then reports it as flaky,
  // so instability stays visible instead of failing a landing. Locally every failure counts.
  retries: process.env.CI ? 1 : 0,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    screenshot: 'only-on-failure',
    viewport: { width: 1360, height: 860 },
    colorScheme: 'dark',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        shell: 'browser',
        browserName: 'chromium',
        // The executable is added by the fixture, from chromiumExecutable().
        launchOptions: { args: [...chromiumArgs] },
      },
    },
    { name: 'electron', use: { shell: 'electron' } },
  ],
});
