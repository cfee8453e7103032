/**
 * vitest globalSetup: ONE real PostgreSQL server for the whole run (test/support/postgres-server.ts),
 * stopped and removed when the run ends.
 *
 * Tests get its URLs with `inject('postgresUrl')` (owner of database `secretctl`, not a superuser)
 * and `inject('postgresAdminUrl')` (the superuser, for CREATE DATABASE / CREATE ROLE). The admin URL
 * is also exported as SECRETCTL_TEST_PG, which the state factories and the Postgres e2e suite read
 * (the test workers are forked after this runs, so they inherit it).
 *
 * An already set SECRETCTL_TEST_PG (a server of your own, superuser URL) is used as is, for both.
 */
import type {TestProject} from 'vitest/node'
import {startPostgres} from './postgres-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://secretctl:PASSWORD@127.0.0.1:PORT/secretctl */
    postgresUrl: string
    /** postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres (superuser) */
    postgresAdminUrl: string
  }
}

/** The keys this setup provides; import this type to bring the `inject()` typing into a test file. */
export type PostgresProvided = 'postgresUrl' | 'postgresAdminUrl'

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const own = process.env.SECRETCTL_TEST_PG
  if (own) {
    project.provide('postgresUrl', own)
    project.provide('postgresAdminUrl', own)
    return
  }
  const server = await startPostgres()
  process.env.SECRETCTL_TEST_PG = server.adminUrl
  project.provide('postgresUrl', server.url)
  project.provide('postgresAdminUrl', server.adminUrl)
  return async () => {
    delete process.env.SECRETCTL_TEST_PG
    await server.stop()
  }
}
