import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const engineProject = (mode: 'redis' | 'postgres' | 'embedded') => ({
  extends: true as const,
  test: {
    name: mode,
    // test/postgres looks at what a Postgres server does with our SQL: once is enough.
    include: [
      'test/engine/**/*.test.ts',
      ...{ embedded: ['test/embedded/**/*.test.ts'], redis: ['test/queue/**/*.test.ts'], postgres: ['test/queue/**/*.test.ts', 'test/postgres/**/*.test.ts'] }[mode],
    ],
    env: { PULSE_TEST_MODE: mode },
  },
})

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: two test files at a time keeps Postgres and the workers from starving each other.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/dsl/**/*.test.ts', 'test/definition/**/*.test.ts', 'test/store/**/*.test.ts', 'test/runtime/**/*.test.ts'] } },
      // The same engine suite, unchanged, against each deployment.
      engineProject('redis'),
      engineProject('postgres'),
      engineProject('embedded'),
      {
        extends: true,
        test: { name: 'cli', include: ['test/cli/**/*.test.ts'], globalSetup: ['test/cli/global-setup.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
      // The dashboard: over HTTP and in headless Chromium, each file against the embedded and the redis mode.
      { extends: true, test: { name: 'browser', include: ['test/dashboard/**/*.test.ts', 'test/browser/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 } },
      { extends: true, test: { name: 'bench', include: ['test/bench/**/*.test.ts'] } },
      // The testing kit's own suite and the examples' tests, which use it as users do (the
      // examples import 'pulse-engine' and 'pulse-engine/testing'). Embedded only: needs nothing.
      {
        extends: true,
        resolve: {
          alias: [
            { find: /^pulse-engine\/testing$/, replacement: fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)) },
            { find: /^pulse-engine$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
          ],
        },
        // The first test of a file builds the template database: PGlite's initdb and every migration.
        test: { name: 'testing', include: ['test/testing/**/*.test.ts', 'examples/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
      // Type-checks generated consumer projects against dist/index.d.ts; needs `npm run build` first.
      { extends: true, test: { name: 'types', include: ['test/types/**/*.test.ts'], testTimeout: 120_000 } },
      // Packs the built package and installs it into a fresh project; needs `npm run build` first.
      { extends: true, test: { name: 'package', include: ['test/package/**/*.test.ts'] } },
      // Crashes, outages, races, bad input, tenant isolation and a soak; one file at a time, since
      // several of them kill processes or restart their own Redis and Postgres servers.
      // PULSE_RELIABILITY_LONG=1 raises the counts (see README, Guarantees).
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          fileParallelism: false,
          // The long variant (PULSE_RELIABILITY_LONG=1) runs ten times the work.
          testTimeout: process.env.PULSE_RELIABILITY_LONG ? 3_600_000 : 240_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
