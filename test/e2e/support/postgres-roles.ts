/**
 * Postgres for the end-to-end tests of the least-privilege roles: a fresh database on the test
 * run's server (SECRETCTL_TEST_PG, set by the vitest globalSetup), and a login role holding exactly
 * the GRANTs `secretctl rbac print --role ROLE` prints.
 */
import {randomBytes} from 'node:crypto'
import pg from 'pg'
import {expect} from 'vitest'
import {secretctl} from './cli.js'
import {withDb} from '../../support/postgres-url.js'

function adminUrl(): string {
  const url = process.env.SECRETCTL_TEST_PG
  if (!url) throw new Error('SECRETCTL_TEST_PG is not set: the vitest globalSetup (test/support/global-postgres.ts) starts a server')
  return url
}

export async function sql<T = any>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({connectionString: url})
  await c.connect()
  try {
    return (await c.query(text, params)).rows as T[]
  } finally {
    await c.end()
  }
}

export async function freshDatabase(): Promise<{db: string; url: string}> {
  const db = `secretctl_e2e_${randomBytes(5).toString('hex')}`
  await sql(adminUrl(), `CREATE DATABASE ${db}`)
  return {db, url: withDb(adminUrl(), db)}
}

/** A login role with the GRANTs of `rbac print --role ROLE` on database `db`; its state URL. */
export async function createRole(db: string, role: 'planner' | 'applier' | 'rotator', dir: string): Promise<string> {
  const name = `secretctl_${role}_${randomBytes(4).toString('hex')}`
  const password = randomBytes(12).toString('hex')
  await sql(adminUrl(), `CREATE ROLE ${name} LOGIN PASSWORD '${password}'`)
  const grants = await secretctl(['rbac', 'print', '--role', role, '--db-role', name], {cwd: dir})
  expect(grants.exitCode, grants.stderr).toBe(0)
  const sqlText = grants.stdout
    .split('\n')
    .filter((l) => !l.startsWith('#') && !/^path |^\s|^}/.test(l))
    .join('\n')
  await sql(withDb(adminUrl(), db), sqlText)
  return withDb(adminUrl(), db, {name, password})
}
