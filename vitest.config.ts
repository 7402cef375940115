import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: two test files at a time keeps Postgres and the workers from starving each other.
    maxWorkers: 2,
    reporters: ['default'],
  },
})
