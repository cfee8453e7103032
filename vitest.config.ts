import {defineConfig} from 'vitest/config'

// Unit tests sit under test/unit, end-to-end tests (built CLI as a process) under test/e2e.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Hang detectors, not speed limits: an end-to-end test runs the CLI dozens of times, and on a
    // machine whose CPUs are busy with other work each run takes seconds. Nothing asserts time.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // One real PostgreSQL server for the run (Debian's binaries); see test/support/postgres-server.ts.
    globalSetup: ['test/support/global-postgres.ts'],
  },
})
