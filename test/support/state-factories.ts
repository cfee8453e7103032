/**
 * State stores for tests, one factory per database. Suites iterate `stateFactories()` so the same
 * tests run against every dialect: SQLite in a temp dir always; Postgres when SECRETCTL_TEST_PG
 * names a server (`postgres://user:pw@host:port/postgres`, a role allowed to create databases),
 * with a fresh database per state, dropped on cleanup.
 */
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import {openState} from '../../src/state/open-state.js'
import type {SecretPlacement, StateStore} from '../../src/state/types.js'

export interface StateFactory {
  /** Label used in test names: `sqlite`, `postgres`. */
  name: string
  dialect: 'sqlite' | 'postgres'
  /** A fresh, empty state (migrated and seeded). Closed and removed by `cleanup()`. */
  create(): Promise<StateStore>
  /** The URL of a fresh, not yet created state, with the dir it is relative to. */
  freshUrl(): Promise<{url: string; dir: string}>
  cleanup(): Promise<void>
}

export function tempDir(prefix = 'secretctl-state-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function sqliteFactory(): StateFactory {
  const dirs: string[] = []
  const stores: StateStore[] = []
  const freshUrl = async () => {
    const dir = tempDir()
    dirs.push(dir)
    return {url: `sqlite:${path.join(dir, '.secretctl', 'state.db')}`, dir}
  }
  return {
    name: 'sqlite',
    dialect: 'sqlite',
    freshUrl,
    async create() {
      const {url, dir} = await freshUrl()
      const store = await openState({url, dir})
      stores.push(store)
      return store
    },
    async cleanup() {
      for (const s of stores.splice(0)) await s.close().catch(() => {})
      for (const d of dirs.splice(0)) fs.rmSync(d, {recursive: true, force: true})
    },
  }
}

export function postgresFactory(adminUrl: string): StateFactory {
  const databases: string[] = []
  const stores: StateStore[] = []
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({connectionString: adminUrl})
    await client.connect()
    try {
      return await fn(client)
    } finally {
      await client.end()
    }
  }
  const freshUrl = async () => {
    const db = `secretctl_test_${randomBytes(6).toString('hex')}`
    await admin((c) => c.query(`CREATE DATABASE ${db}`))
    databases.push(db)
    const url = new URL(adminUrl)
    url.pathname = `/${db}`
    return {url: url.toString(), dir: tempDir()}
  }
  return {
    name: 'postgres',
    dialect: 'postgres',
    freshUrl,
    async create() {
      const {url, dir} = await freshUrl()
      fs.rmSync(dir, {recursive: true, force: true})
      const store = await openState({url, dir})
      stores.push(store)
      return store
    },
    async cleanup() {
      for (const s of stores.splice(0)) await s.close().catch(() => {})
      const dbs = databases.splice(0)
      if (dbs.length)
        await admin(async (c) => {
          for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
        })
    },
  }
}

/** Every dialect the state suites run against. */
export function stateFactories(): StateFactory[] {
  const pgUrl = process.env.SECRETCTL_TEST_PG
  return [sqliteFactory(), ...(pgUrl ? [postgresFactory(pgUrl)] : [])]
}

/** A placement on the trust root `default` with no data, keys or version, but for what `p` sets. */
export function placement(p: Partial<SecretPlacement> & {name: string}): SecretPlacement {
  return {backend: 'default', externalRef: null, rowData: null, keys: {}, backendVersion: null, ...p}
}
