import { defineConfig, devices } from '@playwright/test'

/**
 * Browser journeys in Debian's Chromium (browsers are not downloaded: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
 * Each worker starts its own Sigil server on a free port with a temporary data directory (e2e/fixtures.ts);
 * globalSetup builds web/ first. Passkeys come from CDP virtual authenticators.
 */
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/globalSetup.ts',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 2,
  retries: 0,
  // A test.only left in a spec would run alone and pass: refused everywhere, not only where CI is set.
  forbidOnly: true,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  reporter: 'list',
  use: {
    ...devices['Desktop Chrome'],
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.SIGIL_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
    locale: 'en-US',
    timezoneId: 'UTC',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
  },
})
