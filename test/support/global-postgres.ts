/**
 * vitest globalSetup: one real PostgreSQL server for the whole run. Its admin URL reaches the
 * test workers as SECRETCTL_TEST_PG (they are forked after this runs), which the state factories
 * and the Postgres e2e suite read. An already set SECRETCTL_TEST_PG (your own server) is used as is.
 */
import {startPostgres} from './postgres-server.js'

export default async function setup(): Promise<(() => Promise<void>) | void> {
  if (process.env.SECRETCTL_TEST_PG) return
  const server = await startPostgres()
  process.env.SECRETCTL_TEST_PG = server.adminUrl
  return () => server.stop()
}
