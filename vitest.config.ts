import {defineConfig} from 'vitest/config'

// Unit tests sit under test/unit, end-to-end tests (built CLI as a process) under test/e2e.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One real PostgreSQL server for the run (Debian's binaries); see test/support/postgres-server.ts.
    globalSetup: ['test/support/global-postgres.ts'],
  },
})
